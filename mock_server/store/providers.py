"""Facts about providers the integration rules need: display names, Novu's own providers, secrets.

Display names are those of Novu's provider catalogue (packages/shared, consts/providers/channels,
October 2024); a provider missing here is named as Novu names one missing from its catalogue:
its id with the first letter upper-cased.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Any

DISPLAY_NAMES: dict[str, str] = {
    # email
    "novu-email": "Novu Email", "mailgun": "Mailgun", "mailjet": "Mailjet", "mailtrap": "Mailtrap",
    "mandrill": "Mandrill", "postmark": "Postmark", "sendgrid": "SendGrid", "sendinblue": "Sendinblue",
    "ses": "SES", "netcore": "Netcore", "nodemailer": "Custom SMTP", "mailersend": "MailerSend",
    "outlook365": "Microsoft Outlook365", "infobip-email": "Infobip", "braze": "Braze", "resend": "Resend",
    "plunk": "Plunk", "sparkpost": "SparkPost", "email-webhook": "Email Webhook",
    # sms
    "novu-sms": "Novu SMS", "nexmo": "Nexmo", "plivo": "Plivo", "sms77": "sms77", "sns": "SNS",
    "telnyx": "Telnyx", "messagebird": "MessageBird", "twilio": "Twilio", "gupshup": "Gupshup",
    "firetext": "Firetext", "infobip-sms": "Infobip", "burst-sms": "BurstSMS", "bulk-sms": "BulkSMS",
    "isend-sms": "iSend SMS", "clickatell": "clickatell", "forty-six-elks": "46elks", "kannel": "Kannel SMS",
    "maqsam": "Maqsam", "sms-central": "SMS Central", "termii": "Termii", "africas-talking": "Africa's Talking",
    "sendchamp": "Sendchamp", "generic-sms": "Generic SMS", "clicksend": "Clicksend",
    "simpletexting": "SimpleTexting", "bandwidth": "Bandwidth", "azure-sms": "Azure Sms",
    "ring-central": "RingCentral", "brevo-sms": "Brevo", "eazy-sms": "Eazy", "mobishastra": "Mobishastra",
    # push
    "one-signal": "OneSignal", "pushpad": "Pushpad", "fcm": "Firebase Cloud Messaging", "expo": "Expo Push",
    "apns": "APNs", "push-webhook": "Push Webhook", "pusher-beams": "Pusher Beams",
    # chat
    "slack": "Slack", "discord": "Discord", "grafana-on-call": "Grafana On Call Webhook", "msteams": "MSTeams",
    "mattermost": "Mattermost", "ryver": "Ryver", "zulip": "Zulip", "getstream": "GetStream",
    "rocket-chat": "Rocket.Chat", "whatsapp-business": "WhatsApp Business",
    # in-app
    "novu": "Novu Inbox",
}  # fmt: skip

# Novu's own providers: one in-app Inbox per environment, one Novu email and one Novu SMS.
NOVU_IN_APP = "novu"
NOVU_EMAIL = "novu-email"
NOVU_SMS = "novu-sms"

# The credential fields Novu encrypts at rest (its `secureCredentials`).
SECURE_CREDENTIALS = frozenset({"apiKey", "apiToken", "secretKey", "token", "password", "serviceAccount"})
# What an encrypted value starts with in Novu's store.
ENCRYPTED_PREFIX = "nvsk."

_SHORTID_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_-"


def default_name(provider_id: str) -> str:
    """The name an integration created without one gets."""
    return DISPLAY_NAMES.get(provider_id) or provider_id[:1].upper() + provider_id[1:]


def slug(text: str) -> str:
    """Novu's slug of a name: ASCII letters and digits, lower case, words joined by ``-``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.sub(r"[^A-Za-z0-9\s]", "", ascii_text.replace("-", " ")).split()
    return "-".join(words).lower()


def shortid(choose) -> str:
    """A short random id like the ``shortid`` package's (9 URL-safe characters)."""
    return "".join(choose(_SHORTID_ALPHABET) for _ in range(9))


def stored_credentials(credentials: dict[str, Any]) -> dict[str, Any]:
    """Credentials as Novu keeps them: the secret fields encrypted (an opaque stand-in here)."""
    return {
        key: ENCRYPTED_PREFIX + hashlib.sha256(f"{key}:{value}".encode()).hexdigest()[:32]
        if key in SECURE_CREDENTIALS and isinstance(value, str) and value
        else value
        for key, value in credentials.items()
    }
