"""What the assistant says and decides, independent of any Telegram library, SQL or scheduler."""
