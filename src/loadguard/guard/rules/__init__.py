"""The rules, grouped by what they watch: volume, stage, shoes, pain.

Each rule is ``(metrics, plan, as_of) -> findings frame`` and names where its
threshold comes from (the plan file's ``[sources.*]``).
"""
