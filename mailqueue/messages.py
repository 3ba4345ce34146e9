"""An EmailMessage as JSON and back: subject, body, addresses, headers, alternatives, attachments.

Rebuilt messages are ordinary ``EmailMultiAlternatives``, so any Django email backend can send them and
tests can read them in ``mail.outbox``. A Message-ID and Date are fixed when the message is queued, so
every attempt sends the same message (a receiver that sees it twice can tell).
"""

import base64
from email.utils import formatdate, make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import DNS_NAME


def message_to_json(message) -> dict:
    headers = dict(message.extra_headers)
    lower = {name.lower() for name in headers}
    if "message-id" not in lower:
        headers["Message-ID"] = make_msgid(domain=DNS_NAME)
    if "date" not in lower:
        headers["Date"] = formatdate(localtime=settings.EMAIL_USE_LOCALTIME)
    return {
        "subject": str(message.subject),
        "body": str(message.body),
        "from_email": message.from_email,
        "to": list(message.to),
        "cc": list(message.cc),
        "bcc": list(message.bcc),
        "reply_to": list(message.reply_to),
        "headers": {name: str(value) for name, value in headers.items()},
        "content_subtype": message.content_subtype,
        "encoding": message.encoding,
        "alternatives": [[str(content), mimetype] for content, mimetype in getattr(message, "alternatives", [])],
        "attachments": [_attachment_to_json(attachment) for attachment in message.attachments],
    }


def _attachment_to_json(attachment) -> dict:
    if not isinstance(attachment, tuple):  # a MIMEBase part built by hand: nothing in KB does this
        raise TypeError("The email queue stores attachments given as (filename, content, mimetype) only.")
    filename, content, mimetype = attachment
    if isinstance(content, str):
        return {"filename": filename, "text": content, "mimetype": mimetype}
    return {"filename": filename, "base64": base64.b64encode(content).decode("ascii"), "mimetype": mimetype}


def message_from_json(data: dict) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        data["subject"], data["body"], data["from_email"], data["to"], data["bcc"],
        cc=data["cc"], reply_to=data["reply_to"], headers=data["headers"],
        alternatives=[tuple(alternative) for alternative in data["alternatives"]],
    )
    message.content_subtype = data["content_subtype"]
    message.encoding = data["encoding"]
    for attachment in data["attachments"]:
        content = attachment["text"] if "text" in attachment else base64.b64decode(attachment["base64"])
        message.attach(attachment["filename"], content, attachment["mimetype"])
    return message
