"""Valid-format, made-up credentials (never live): each generator returns one secret string.

Used by run.py to plant credentials with the structure real ones have (alphabets, lengths,
checksums, decodable JWT headers), so that recall measures the rules, not luck.
"""

from __future__ import annotations

import base64
import json
import random
import string

from triage.rules.checks import base62_crc32

ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"


def _s(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def aws_key_id(rng: random.Random) -> str:
    return rng.choice(["AKIA", "ASIA"]) + _s(rng, string.ascii_uppercase + "234567", 16)


def aws_secret(rng: random.Random) -> str:
    return _s(rng, B64, 40)


def github_classic(rng: random.Random, prefix: str = "") -> str:
    body = _s(rng, ALNUM, 30)
    return (prefix or rng.choice(["ghp_", "gho_", "ghu_", "ghs_", "ghr_"])) + body + base62_crc32(body)


def npm(rng: random.Random) -> str:
    return github_classic(rng, "npm_")


def github_fine_grained(rng: random.Random) -> str:
    return f"github_pat_{_s(rng, ALNUM, 22)}_{_s(rng, ALNUM, 59)}"


def gitlab(rng: random.Random) -> str:
    return "glpat-" + _s(rng, ALNUM + "-_", 20)


def pypi(rng: random.Random) -> str:
    raw = b"\x02\x01\x08pypi.org\x02\x01\x24" + bytes(rng.randrange(256) for _ in range(120))
    return "pypi-" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def openai(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return f"sk-{_s(rng, ALNUM, 20)}T3BlbkFJ{_s(rng, ALNUM, 20)}"
    return f"sk-proj-{_s(rng, B64URL, 74)}T3BlbkFJ{_s(rng, B64URL, 74)}"


def anthropic(rng: random.Random) -> str:
    return f"sk-ant-api03-{_s(rng, B64URL, 93)}AA"


def huggingface(rng: random.Random) -> str:
    return "hf_" + _s(rng, string.ascii_letters, 34)


def slack_token(rng: random.Random) -> str:
    kind = rng.choice("bpa")
    return f"xox{kind}-{_s(rng, string.digits, 11)}-{_s(rng, string.digits, 13)}-{_s(rng, ALNUM, 24)}"


def slack_webhook(rng: random.Random) -> str:
    up = string.ascii_uppercase + string.digits
    return f"https://hooks.slack.com/services/T{_s(rng, up, 8)}/B{_s(rng, up, 10)}/{_s(rng, ALNUM, 24)}"


def discord_webhook(rng: random.Random) -> str:
    return f"https://discord.com/api/webhooks/{_s(rng, string.digits, 18)}/{_s(rng, B64URL, 68)}"


def db_url(rng: random.Random) -> str:
    scheme = rng.choice(["postgres", "postgresql", "mysql", "mongodb+srv", "redis"])
    pw = _s(rng, ALNUM + "!*~", rng.randrange(10, 24))
    user = "svc_" + _s(rng, string.ascii_lowercase, 5)
    return f"{scheme}://{user}:{pw}@db{rng.randrange(9)}.internal.example.net:5432/app"


def _b64u(obj: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).decode().rstrip("=")


def jwt(rng: random.Random) -> str:
    head = _b64u({"alg": rng.choice(["HS256", "RS256", "ES256"]), "typ": "JWT"})
    body = _b64u({"sub": _s(rng, string.digits, 10), "name": _s(rng, string.ascii_letters, 8),
                  "iat": rng.randrange(1_500_000_000, 1_800_000_000)})
    return f"{head}.{body}.{_s(rng, B64URL, 43)}"


def pem(rng: random.Random) -> str:
    kind = rng.choice(["RSA ", "EC ", "OPENSSH ", ""])
    body = base64.b64encode(bytes(rng.randrange(256) for _ in range(rng.choice([121, 600, 1190])))).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return f"-----BEGIN {kind}PRIVATE KEY-----\n" + "\n".join(lines) + f"\n-----END {kind}PRIVATE KEY-----"


def gcp_private_key(rng: random.Random) -> str:
    body = base64.b64encode(bytes(rng.randrange(256) for _ in range(1190))).decode()
    lines = "\\n".join(body[i:i + 64] for i in range(0, len(body), 64))
    return f"-----BEGIN PRIVATE KEY-----\\n{lines}\\n-----END PRIVATE KEY-----\\n"


def azure_account_key(rng: random.Random) -> str:
    return base64.b64encode(bytes(rng.randrange(256) for _ in range(64))).decode()


def generic(rng: random.Random) -> str:
    return _s(rng, ALNUM, 8) + rng.choice(string.digits) + _s(rng, ALNUM, rng.randrange(11, 24))


# (name, generator, how the secret is written into a file: a format string over {s})
PLANTS: list[tuple[str, object, str]] = [
    ("aws-access-key-id", aws_key_id, 'AWS_ACCESS_KEY_ID = "{s}"'),
    ("aws-secret-access-key", aws_secret, "aws_secret_access_key = {s}"),
    ("github-token", github_classic, "export GITHUB_TOKEN={s}"),
    ("github-fine-grained-pat", github_fine_grained, 'token: "{s}"'),
    ("gitlab-token", gitlab, "GITLAB_TOKEN={s}"),
    ("npm-token", npm, "//registry.npmjs.org/:_authToken={s}"),
    ("pypi-token", pypi, "password = {s}"),
    ("openai-api-key", openai, 'client = OpenAI(api_key="{s}")'),
    ("anthropic-api-key", anthropic, "ANTHROPIC_API_KEY={s}"),
    ("huggingface-token", huggingface, "HF_TOKEN='{s}'"),
    ("slack-token", slack_token, 'slack = WebClient(token="{s}")'),
    ("slack-webhook", slack_webhook, "WEBHOOK = '{s}'"),
    ("discord-webhook", discord_webhook, "url: {s}"),
    ("database-url-password", db_url, 'DATABASE_URL="{s}"'),
    ("jwt", jwt, "Authorization: Bearer {s}"),
    ("private-key", pem, "{s}"),
    ("gcp-service-account-key", gcp_private_key, '  "private_key": "{s}",'),
    ("azure-storage-key", azure_account_key,
     "DefaultEndpointsProtocol=https;AccountName=nwstore;AccountKey={s};EndpointSuffix=core.windows.net"),
    ("generic-secret-assignment", generic, 'client_secret = "{s}"'),
]
