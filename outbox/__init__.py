"""Drafts, sent-reply detection, follow-ups and SMTP delivery."""
