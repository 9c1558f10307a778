"""``nx.Dashboard`` in a 1000 px wide box and no site template around it, as a notebook
cell shows it; served by ``panel serve`` for tests/ui/test_layout.py."""

import panel as pn

import nexus_panel as nx

pn.extension()
pn.Column(nx.Dashboard(nx.Scenario()), width=1000, margin=0,
          css_classes=["nx-cell"]).servable()
