"""Uploaded files kept between an import's preview and its confirmation.

The preview parses the upload and shows what would change; the confirmation parses the same
file again and writes. Between the two requests the file waits under MEDIA_ROOT/uploads,
reachable only through a random token stored in the uploader's session.
"""

import secrets
from pathlib import Path

from django.conf import settings

SESSION_KEY = "spolu_uploads"


def _folder() -> Path:
    folder = Path(settings.MEDIA_ROOT) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def stash_upload(request, upload, *, purpose: str) -> str:
    """Keep an uploaded file for this user and this purpose; returns its token."""
    token = secrets.token_urlsafe(24)
    with open(_folder() / token, "wb") as target:
        for chunk in upload.chunks():
            target.write(chunk)
    stashed = request.session.get(SESSION_KEY, {})
    stashed[token] = {"purpose": purpose, "name": upload.name}
    request.session[SESSION_KEY] = stashed
    return token


def stashed_upload(request, token: str, *, purpose: str):
    """(path, original name) of a stashed file, or None when the token is not this user's."""
    entry = request.session.get(SESSION_KEY, {}).get(token)
    if not entry or entry["purpose"] != purpose:
        return None
    path = _folder() / token
    if not path.exists():
        return None
    return path, entry["name"]


def drop_upload(request, token: str) -> None:
    stashed = request.session.get(SESSION_KEY, {})
    stashed.pop(token, None)
    request.session[SESSION_KEY] = stashed
    path = _folder() / Path(token).name
    if path.exists():
        path.unlink()
