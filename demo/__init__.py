"""`make demo`: Amends end to end against a throwaway Dovecot and SMTP server on loopback."""
