"""planner: quota-constrained recommendation rounds planned with CP-SAT (吉教职成〔2023〕7号)."""
__version__ = "0.1.0"
