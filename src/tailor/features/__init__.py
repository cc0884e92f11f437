"""Person-level feature logic behind the profile models: text signals, imputation, profile confidence."""
