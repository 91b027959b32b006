"""Thin commands: parse options, call one service, hand the result to ui.emit."""
