"""The console layer: chat with the assistant in a terminal, and the facilitator's rehearsal."""
