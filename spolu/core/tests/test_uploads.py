"""Files waiting between an import's preview and its confirmation do not pile up."""

import os
import time

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory

from spolu.core.uploads import _folder, stash_upload, stashed_upload


def _request(client):
    request = RequestFactory().post("/")
    request.session = client.session
    return request


def test_abandoned_previews_are_removed_after_a_day(client, db):
    request = _request(client)
    old = stash_upload(request, SimpleUploadedFile("a.csv", b"x"), purpose="p")
    path = _folder() / old
    two_days_ago = time.time() - 48 * 3600
    os.utime(path, (two_days_ago, two_days_ago))
    fresh = stash_upload(request, SimpleUploadedFile("b.csv", b"y"), purpose="p")
    assert not path.exists()
    assert stashed_upload(request, fresh, purpose="p") is not None
    assert stashed_upload(request, fresh, purpose="other") is None
