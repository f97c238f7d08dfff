"""Grading machinery: exercise generation (:mod:`.exercises`) and the sandboxed submission
runner (:mod:`.runner`) used by ``python -m utils.grade``."""
