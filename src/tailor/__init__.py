"""tailor: the pure Python logic behind a warehouse-native personalization engine built as a dbt project."""

__version__ = "0.1.0"
