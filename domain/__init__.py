"""The bottom layer: what a call, a transcript, a draft entry, a status and a rule are.

Every stage passes these on (phone → archive → ledger → worker → intake → reconciler →
console). This package imports nothing else of Frontdesk; ``voice`` and ``ledger`` import it
and never each other (tests/test_layers.py guards the rule; docs/architecture.md maps it).
"""
