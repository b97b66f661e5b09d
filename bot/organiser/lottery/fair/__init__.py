"""The fair draw computed over profiles (people alike on every feature): maximin, leximin and the draw."""
