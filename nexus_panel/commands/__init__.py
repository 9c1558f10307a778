"""Subcommands of ``nexus-panel`` (see nexus_panel.cli), one module per area."""
