"""IMAP: connections, sync state, fetching, MIME parsing, threading, loop and bounce detection."""
