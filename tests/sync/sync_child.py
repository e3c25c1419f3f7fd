"""A device process for the kill-mid-apply test: syncs in a loop until it is SIGKILLed.

``python -m tests.sync.sync_child DATA_DIR URL PAGE_SIZE``; prints ``ready`` first.
"""

from __future__ import annotations

import sys
from pathlib import Path

import requests

from fieldapp.store.store import Store
from fieldapp.sync.engine import SyncEngine
from fieldapp.sync.transport import HttpTransport


def main() -> None:
    data_dir, url, page = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    store = Store.open(data_dir)
    with requests.Session() as session:
        transport = HttpTransport(
            base_url=url, session=session, token=lambda: store.get_meta("token")
        )
        engine = SyncEngine(
            store=store, transport=transport, page_size=page, blob_uploader=lambda **_: 0
        )
        print("ready", flush=True)
        while True:
            # A fresh download each time, so every kill lands in the apply of some page.
            with store.transaction():
                store.set_meta("cursor", None)
            engine.sync_once()


if __name__ == "__main__":
    main()
