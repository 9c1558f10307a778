"""Smart contracts generated from a scenario, proven by executing what is generated.

``reference`` defines the Nexus step in fixed point (``fixedpoint``: int128, 18 decimals);
``solidity`` and ``rust`` generate a contract and a std-only crate that compute exactly
that; ``evm`` and ``cargo`` compile and run them; ``verify`` compares every step with the
reference and the float engine. docs/contracts.md describes the format and its limits.
No panel or sqlalchemy import here: the page and the CLI call into this package.
"""
