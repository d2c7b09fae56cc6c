"""Headless tests of smtplearn.widgets against a real DebugServer."""
