"""Alembic environment: runs on the connection and metadata idconnect passes in."""

from alembic import context

config = context.config
connection = config.attributes["connection"]
metadata = config.attributes["metadata"]

context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table="idc_alembic_version",
    version_table_schema=metadata.schema,
)
with context.begin_transaction():
    context.run_migrations()
