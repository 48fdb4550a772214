"""Server logs never hold a token, even when a websocket URL carries one."""

from __future__ import annotations

import logging

from server.app import RedactTokens


def test_tokens_in_logged_urls_are_redacted() -> None:
    record = logging.LogRecord(
        "uvicorn.error",
        logging.INFO,
        __file__,
        1,
        '%s - "WebSocket %s" [accepted]',
        ("127.0.0.1:5000", "/ws/games/abc?token=s3cr3t-Tok_en&last_seq=4"),
        None,
    )
    RedactTokens().filter(record)
    line = record.getMessage()
    assert "s3cr3t" not in line
    assert "token=[redacted]&last_seq=4" in line
