"""Production settings: unconditionally unsafe values."""

SECRET_KEY = "k3j4h5g6f7d8s9a0q1w2e3r4t5y6u7i8"  # expect: hardcoded-secret-key vulnerability
AWS_ACCESS_KEY_ID = "AKIAQ3EGUTR4ZKJ7WXYP"  # expect: hardcoded-secret vulnerability
