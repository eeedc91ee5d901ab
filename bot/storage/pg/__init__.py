"""PostgreSQL storage, for running several bot processes on one database.

So far this holds the schema (numbered migrations, one per SQLite migration)
and the migrator; the asyncpg Store that uses them comes next.
"""
