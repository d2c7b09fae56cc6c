"""The sans-I/O SMTP client core: bytes in, replies out; no sockets, threads or clocks."""
