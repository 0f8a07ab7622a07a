"""Uploaded files kept between an import's preview and its confirmation.

The preview parses the upload and shows what would change; the confirmation parses the same
file again and writes. Between the two requests the file waits under MEDIA_ROOT/uploads,
reachable only through a random token stored in the uploader's session.
"""

import secrets
import time
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

SESSION_KEY = "spolu_uploads"


def _folder() -> Path:
    folder = Path(settings.MEDIA_ROOT) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


STASH_HOURS = 24


def _drop_abandoned(folder: Path) -> None:
    # Previews nobody confirmed or cancelled: their files go after a day.
    cutoff = time.time() - STASH_HOURS * 3600
    for path in folder.iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            pass  # removed meanwhile by another request


def stash_upload(request, upload, *, purpose: str) -> str:
    """Keep an uploaded file for this user and this purpose; returns its token."""
    _drop_abandoned(_folder())
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


def preview_then_apply(request, *, purpose, upload_form, preview, apply, template, done_url):
    """Preview an uploaded file's effect, then apply it when the user confirms.

    `preview(fileobj, name, form)` returns the report; `apply(report)` writes it and returns a
    message. Nothing is written before the confirmation, and the confirmation re-reads the file.
    """
    context = {"form": upload_form}
    if request.method == "POST" and "token" in request.POST:
        token = request.POST["token"]
        stashed = stashed_upload(request, token, purpose=purpose)
        if stashed is None:
            messages.error(request, _("The uploaded file has expired. Please upload it again."))
            return redirect(request.path)
        path, name = stashed
        with open(path, "rb") as fileobj:
            report = preview(fileobj, name, request.POST)
        if "cancel" in request.POST:
            drop_upload(request, token)
            messages.info(request, _("The import was cancelled; nothing was changed."))
            return redirect(request.path)
        try:
            message = apply(report)
        except ValueError:
            context.update(report=report, token=token, file_name=name)
            messages.error(request, _("The file cannot be imported; nothing was changed."))
            return render(request, template, context, status=400)
        drop_upload(request, token)
        messages.success(request, message)
        return redirect(done_url)
    if request.method == "POST" and upload_form.is_valid():
        upload = upload_form.cleaned_data["file"]
        token = stash_upload(request, upload, purpose=purpose)
        with open(stashed_upload(request, token, purpose=purpose)[0], "rb") as fileobj:
            report = preview(fileobj, upload.name, upload_form.cleaned_data)
        context.update(report=report, token=token, file_name=upload.name)
    return render(request, template, context)
