"""Typer command groups, one module per group: parse, call the core, render. Nothing more."""
