"""Smart contracts generated from a scenario, proven by executing what is generated.

``fixedpoint`` is the number format (int128, 18 decimals, rounding half away from zero);
``reference`` the Nexus step in it, and what fits; ``solidity`` and ``rust`` generate a
contract and a std-only crate computing exactly that (``codegen`` picks one, ``generated``
adds the header and zips); ``evm`` compiles with solc-js and executes in py-evm, ``native``
builds with cargo and runs the binary; ``verify`` compares every step with the reference
and the float engine. docs/contracts.md describes the format and its limits. Nothing here
imports panel or sqlalchemy: the page and the CLI call into this package.
"""
