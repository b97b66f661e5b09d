"""What organisers do outside the chat: announcements, exports and the civic lottery."""
