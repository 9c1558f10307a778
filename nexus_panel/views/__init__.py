"""What people SEE: Panel Viewer components bound to the scenario models.

Each view renders inline in a notebook (``__panel__`` returns content only); the web app's
pages (nexus_panel.pages) wrap them in the site template. The Simulate view is
``nexus_panel.Dashboard``.
"""
