"""Where the sync engine keeps its data: one interface (`base`), SQLite and PostgreSQL behind it."""


def as_tx(db):
    """Return `db` as the engine's store interface: a Tx or Store as it is, a SQLite database wrapped."""
    from sync.stores.base import Store, Tx
    from sync.stores.sqlite import SqliteTx

    return db if isinstance(db, (Tx, Store)) else SqliteTx(db)


def open_store(target, **options):
    """Open the store at `target`: a postgresql:// URL, else the path of a SQLite database."""
    if str(target).startswith(("postgresql://", "postgres://")):
        from sync.stores.postgres import PostgresStore

        return PostgresStore.open(str(target), **options)
    from sync.store import connect
    from sync.stores.sqlite import SqliteTx

    return SqliteTx(connect(target))
