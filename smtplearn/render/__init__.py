"""Renderers: a session as smtplib debug text, a swaks-style log, HTML and SVG.

Every renderer is a pure function from records to a string; nothing here does I/O.
"""
