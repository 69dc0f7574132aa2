"""answerprint."""
