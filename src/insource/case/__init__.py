"""The domain model: tables, schema, fiscal calendar, loading, saving and validation."""
