#!/usr/bin/env python3
"""Writes tests/redact/corpus.jsonl: the labelled redaction corpus (deterministic).

Each line: {"text": …, "expect": [{"kind": …, "value": …}, …], "lang": …, "code": bool}.
`expect` lists every value that must be replaced (empty: the text must come out unchanged).
Values are built to be valid (Luhn-checked cards, mod-97 IBANs, real key shapes) but are
made up. Run it again after editing; the committed file is what the tests read.
"""
import json
import os
import random

R = random.Random(15)
HERE = os.path.dirname(os.path.abspath(__file__))
TERMS = ["Ana Lima", "Zoë Müller", "Kowalski", "Светлана", "Okonkwo", "Håkon Berg"]

def rs(n, chars="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"):
    while True:
        s = "".join(R.choice(chars) for _ in range(n))
        if any(c.isdigit() for c in s) and any(c.isalpha() for c in s):
            return s

def luhn_complete(prefix, length):
    digits = [int(c) for c in prefix]
    while len(digits) < length - 1:
        digits.append(R.randrange(10))
    for check in range(10):
        d = digits + [check]
        s = 0
        for k, v in enumerate(reversed(d)):
            if k % 2 == 1:
                v *= 2
                if v > 9:
                    v -= 9
            s += v
        if s % 10 == 0:
            return "".join(map(str, d))

def iban(cc, length):
    body = "".join(R.choice("0123456789") for _ in range(length - 4))
    if cc in ("GB", "NL"):
        body = "".join(R.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(4)) + body[4:]
    num = "".join(str(int(c, 36)) for c in body + cc + "00")
    check = 98 - int(num) % 97
    return f"{cc}{check:02d}{body}"

def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

FIRST = ["ana", "bruno", "chen", "dmitri", "emma", "fatima", "gustavo", "hana", "ivan", "julia", "kenji", "lea", "marco", "nadia", "olga", "pierre", "quinn", "rosa", "sven", "tomasz"]
LAST = ["silva", "meyer", "wang", "ivanov", "dubois", "garcia", "rossi", "tanaka", "novak", "okafor"]
DOMAINS = ["gmail.com", "example.org", "firma.de", "empresa.com.br", "uni-wien.ac.at", "mail.ru", "outlook.fr", "company.co.uk", "startup.io", "qq.com"]

def email():
    f, l, d = R.choice(FIRST), R.choice(LAST), R.choice(DOMAINS)
    form = R.randrange(5)
    local = [f"{f}.{l}", f"{f}{R.randrange(10, 99)}", f"{f[0]}{l}", f"{f}+news", f"{f}_{l}"][form]
    if R.random() < 0.15:
        local = local.capitalize()
    return f"{local}@{d}"

PHONES = [
    lambda: f"+1 415 555 {R.randrange(1000, 9999)}",
    lambda: f"+44 20 7946 {R.randrange(1000, 9999)}",
    lambda: f"+49 30 {R.randrange(1000000, 99999999)}",
    lambda: f"+33 1 {R.randrange(10, 99)} {R.randrange(10, 99)} {R.randrange(10, 99)} {R.randrange(10, 99)}",
    lambda: f"+34 612 {R.randrange(100, 999)} {R.randrange(100, 999)}",
    lambda: f"+81 3-{R.randrange(1000, 9999)}-{R.randrange(1000, 9999)}",
    lambda: f"+55 11 9{R.randrange(1000, 9999)}-{R.randrange(1000, 9999)}",
    lambda: f"(415) 555-{R.randrange(1000, 9999)}",
    lambda: f"212-555-{R.randrange(1000, 9999)}",
    lambda: f"646.555.{R.randrange(1000, 9999)}",
    lambda: f"030 {R.randrange(1000000, 99999999)}",
    lambda: f"0151 {R.randrange(10000000, 99999999)}",
    lambda: f"06 {R.randrange(10, 99)} {R.randrange(10, 99)} {R.randrange(10, 99)} {R.randrange(10, 99)}",
    lambda: f"020 7946 {R.randrange(1000, 9999)}",
    lambda: f"07700 900{R.randrange(100, 999)}",
    lambda: f"0049 89 {R.randrange(1000000, 9999999)}",
    lambda: f"+7 495 {R.randrange(100, 999)}-{R.randrange(10, 99)}-{R.randrange(10, 99)}",
    lambda: f"+86 138 {R.randrange(1000, 9999)} {R.randrange(1000, 9999)}",
    lambda: f"+1415555{R.randrange(1000, 9999)}",
    lambda: f"+39 06 {R.randrange(1000, 9999)} {R.randrange(1000, 9999)}",
    lambda: f"1-800-555-{R.randrange(1000, 9999)}",
    lambda: f"+61 2 {R.randrange(1000, 9999)} {R.randrange(1000, 9999)}",
]

def ipv4():
    first = R.choice([10, 172, 192, 8, 34, 52, 81, 185, 203, 91])
    return f"{first}.{R.randrange(0, 256)}.{R.randrange(0, 256)}.{R.randrange(1, 255)}"

def ipv6():
    g = lambda: format(R.randrange(1, 65536), "x")
    return R.choice([
        lambda: f"2001:db8::{g()}:{g()}",
        lambda: ":".join(format(R.randrange(0, 65536), "x") for _ in range(8)),
        lambda: f"fe80::{g()}:{g()}:{g()}:{g()}",
        lambda: f"2a02:{g()}:{g()}:{g()}::1",
        lambda: f"::ffff:{ipv4()}".lstrip(":") if False else f"2001:db8:{g()}::{g()}",
    ])()

def card():
    kind = R.randrange(5)
    if kind == 0:
        n = luhn_complete("4", 16)
    elif kind == 1:
        n = luhn_complete(str(R.randrange(51, 56)), 16)
    elif kind == 2:
        n = luhn_complete(R.choice(["34", "37"]), 15)
        return R.choice([f"{n[:4]} {n[4:10]} {n[10:]}", n])
    elif kind == 3:
        n = luhn_complete("6011", 16)
    else:
        n = luhn_complete(str(R.randrange(2221, 2721)), 16)
    return R.choice([group4(n), "-".join(n[i:i + 4] for i in range(0, 16, 4)), n])

IBANS = [("DE", 22), ("FR", 27), ("GB", 22), ("ES", 24), ("IT", 27), ("NL", 18), ("BE", 16), ("CH", 21), ("AT", 20), ("PL", 28), ("PT", 25), ("SE", 24)]

def an_iban():
    cc, n = R.choice(IBANS)
    if cc == "IT" or cc == "FR":
        # IT and FR carry letters/digits; digits are valid too.
        pass
    v = iban(cc, n)
    return R.choice([v, group4(v)])

def secret():
    k = R.randrange(16)
    return [
        lambda: "sk-proj-" + rs(48, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"),
        lambda: "sk-" + rs(48),
        lambda: "sk-ant-api03-" + rs(80, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"),
        lambda: "AKIA" + rs(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
        lambda: "ghp_" + rs(36),
        lambda: "gho_" + rs(36),
        lambda: "github_pat_" + rs(22) + "_" + rs(59),
        lambda: "glpat-" + rs(20, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"),
        lambda: "xoxb-" + f"{R.randrange(10**11, 10**12)}-{R.randrange(10**12, 10**13)}-" + rs(24),
        lambda: "sk_live_" + rs(24),
        lambda: "rk_live_" + rs(24),
        lambda: "AIza" + rs(35, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"),
        lambda: "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ" + rs(40, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") + "." + rs(43, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"),
        lambda: "xoxp-" + f"{R.randrange(10**11, 10**12)}-" + rs(30),
        lambda: "sk_test_" + rs(24),
        lambda: "hf_" + rs(34),
    ][k]()

def random_password():
    return rs(R.randrange(10, 20), "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789!#%^*") 

# Sentences that carry one value, per language: {v} is the value.
PROSE = {
    "en": ["Please write to {v} before Friday.", "You can reach me at {v}.", "My contact is {v}, thanks!", "Send the invoice to {v} and cc me.", "Here it is: {v}"],
    "de": ["Bitte schreib an {v}, danke.", "Du erreichst mich unter {v}.", "Meine Angabe: {v} (bitte nicht weitergeben)."],
    "fr": ["Tu peux me joindre au {v}.", "Écris-moi à {v} s'il te plaît.", "Voici : {v}"],
    "es": ["Puedes escribirme a {v}.", "Mi dato es {v}, gracias.", "Contacto: {v}"],
    "pt": ["Meu contato é {v}.", "Pode mandar para {v}?"],
    "it": ["Scrivimi a {v}, grazie.", "Il mio riferimento: {v}."],
    "ja": ["連絡先は {v} です。", "こちらへどうぞ: {v}"],
    "zh": ["请联系 {v} 。", "我的信息是 {v} ，谢谢。"],
    "ru": ["Напиши мне на {v}, пожалуйста.", "Мои данные: {v}."],
    "pl": ["Napisz do mnie: {v}."],
}
PHONE_PROSE = {
    "en": ["Call me on {v} tomorrow.", "Phone: {v}", "My number is {v}."],
    "de": ["Ruf mich an: {v}", "Telefon {v}, ab 9 Uhr."],
    "fr": ["Mon numéro : {v}", "Téléphone : {v}"],
    "es": ["Mi teléfono es {v}.", "Llámame al {v}."],
    "ja": ["電話番号は {v} です。"],
    "ru": ["Мой телефон {v}."],
}
CODE = [
    ("python", 'contact = "{v}"\nprint(contact)'),
    ("js", "const value = '{v}';\nconsole.log(value);"),
    ("json", '{{"id": 42, "value": "{v}", "active": true}}'),
    ("yaml", "user:\n  id: 7\n  contact: {v}\n"),
    ("sql", "INSERT INTO users (id, contact) VALUES (3, '{v}');"),
    ("shell", 'echo "{v}" >> notes.txt'),
    ("md", "| id | value |\n|----|-------|\n| 1 | {v} |"),
    ("fence", "```text\n{v}\n```"),
    ("csv", "id,name,value\n12,Test,{v}\n"),
]
SECRET_CODE = [
    ("env", "OPENAI_API_KEY={v}\nDEBUG=false"),
    ("python", 'client = OpenAI(api_key="{v}")'),
    ("js", "const token = '{v}';"),
    ("shell", 'curl -H "Authorization: Bearer {v}" https://api.example.com/v1/me'),
    ("yaml", "github:\n  token: {v}\n"),
    ("json", '{{"key": "{v}"}}'),
    ("fence", "```bash\nexport TOKEN={v}\n```"),
    ("toml", '[service]\napi_key = "{v}"'),
]

cases = []

def add(text, expect, lang, code):
    cases.append({"text": text, "expect": expect, "lang": lang, "code": code})

def place(kind, gen, prose, n_prose, n_code, codes=CODE):
    langs = list(prose)
    for k in range(n_prose):
        v = gen()
        lang = langs[k % len(langs)]
        t = R.choice(prose[lang])
        add(t.format(v=v), [{"kind": kind, "value": v}], lang, False)
    for k in range(n_code):
        v = gen()
        lang, t = codes[k % len(codes)]
        add(t.format(v=v), [{"kind": kind, "value": v}], lang, True)

place("email", email, PROSE, 30, 24)
place("phone", lambda: R.choice(PHONES)(), PHONE_PROSE, 36, 18)
place("ip", lambda: R.choice([ipv4, ipv4, ipv6])(), PROSE, 24, 24)
place("card", card, PROSE, 26, 18)
place("iban", an_iban, PROSE, 26, 16)
place("secret", secret, PROSE, 16, 40, SECRET_CODE)

# Secrets of the other shapes.
for k in range(10):
    pw = random_password()
    user = R.choice(["app", "admin_user", "svc", "deploy"])
    add(f"postgres://{user}:{pw}@db.internal:5432/main", [{"kind": "secret", "value": pw}], "en", True)
for k in range(10):
    tok = rs(32)
    add(R.choice(["https://api.example.com/export?token={v}&format=csv", "Download: https://files.example.net/x.zip?key={v}", "GET /v2/items?limit=10&access_token={v} HTTP/1.1"]).format(v=tok), [{"kind": "secret", "value": tok}], "en", True)
for k in range(14):
    pw = random_password()
    t = R.choice([
        "DB_PASSWORD={v}",
        'password = "{v}"',
        "  password: {v}",
        '{{"username": "root", "password": "{v}"}}',
        "mysql -u root --password={v} shop",
        "$config['db_pass'] = '{v}';",
        "SECRET_KEY = '{v}'",
        "spring.datasource.password={v}",
        "Das Passwort ist password={v}",
        "client_secret: \"{v}\"",
    ])
    add(t.format(v=pw), [{"kind": "secret", "value": pw}], "en", True)
for k in range(6):
    body = "\n".join(rs(64, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") for _ in range(4))
    kind = R.choice(["RSA PRIVATE KEY", "PRIVATE KEY", "OPENSSH PRIVATE KEY", "EC PRIVATE KEY"])
    pem = f"-----BEGIN {kind}-----\n{body}\n-----END {kind}-----"
    add(f"```\n{pem}\n```", [{"kind": "secret", "value": pem}], "en", True)
for k in range(6):
    sec = rs(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
    add(f"[default]\naws_access_key_id = AKIA{rs(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}\naws_secret_access_key = {sec}", None, "en", True)
    ak = cases[-1]["text"].split("aws_access_key_id = ")[1].split("\n")[0]
    cases[-1]["expect"] = [{"kind": "secret", "value": ak}, {"kind": "secret", "value": sec}]

# The user's own terms.
NAME_PROSE = ["Meeting notes with {v} about the budget.", "{v} sagte, das passt so.", "Réunion avec {v} demain.", "Reunión con {v} el lunes.", "# Review of {v}'s draft", "author: {v}", "Встреча с {v} в понедельник.", "cc: {v}"]
for k in range(30):
    name = TERMS[k % len(TERMS)]
    shown = name.upper() if k % 7 == 3 else name
    add(NAME_PROSE[k % len(NAME_PROSE)].format(v=shown), [{"kind": "name", "value": shown}], "mixed", k % 8 == 5)

# Several kinds in one text.
for k in range(20):
    e, p, i = email(), R.choice(PHONES)(), ipv4()
    add(f"Contact {e} or {p}; the server is {i}.", [{"kind": "email", "value": e}, {"kind": "phone", "value": p}, {"kind": "ip", "value": i}], "en", False)

positives = len(cases)

# ---------------------------------------------------------------------------------------
# Texts that must come out unchanged.

def uuid():
    h = "".join(R.choice("0123456789abcdef") for _ in range(32))
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"

def sha(n=40):
    return "".join(R.choice("0123456789abcdef") for _ in range(n))

def not_luhn16():
    while True:
        n = "4" + "".join(R.choice("0123456789") for _ in range(15))
        if luhn_complete(n[:15], 16) != n:
            return n

NEG = [
    lambda: f"The meeting is on {R.randrange(2000, 2030)}-{R.randrange(1, 13):02d}-{R.randrange(1, 29):02d} at {R.randrange(0, 24):02d}:{R.randrange(0, 60):02d}.",
    lambda: f"Termin am {R.randrange(1, 29):02d}.{R.randrange(1, 13):02d}.{R.randrange(2000, 2030)} um {R.randrange(8, 20)}:{R.randrange(0, 60):02d} Uhr.",
    lambda: f"Le {R.randrange(1, 29):02d}/{R.randrange(1, 13):02d}/{R.randrange(2000, 2030)} à {R.randrange(8, 20)}h{R.randrange(0, 60):02d}.",
    lambda: f"Timestamp: {R.randrange(2000, 2030)}-{R.randrange(1, 13):02d}-{R.randrange(1, 29):02d}T{R.randrange(0, 24):02d}:{R.randrange(0, 60):02d}:{R.randrange(0, 60):02d}.{R.randrange(100, 999)}Z",
    lambda: f"Upgrade to version {R.randrange(1, 20)}.{R.randrange(0, 30)}.{R.randrange(0, 99)} first.",
    lambda: f"pip install numpy=={R.randrange(1, 3)}.{R.randrange(0, 30)}.{R.randrange(0, 9)} pandas>={R.randrange(1, 3)}.{R.randrange(0, 9)}",
    lambda: f"\"dependencies\": {{\"react\": \"^{R.randrange(16, 19)}.{R.randrange(0, 9)}.{R.randrange(0, 9)}\", \"vite\": \"~{R.randrange(3, 6)}.{R.randrange(0, 9)}.{R.randrange(0, 9)}\"}}",
    lambda: f"Windows build {R.randrange(10, 11)}.0.{R.randrange(19000, 22999)}.{R.randrange(100, 3000)}",
    lambda: f"Chrome/{R.randrange(100, 130)}.0.{R.randrange(4000, 6999)}.{R.randrange(10, 200)} Safari/537.36",
    lambda: f"request_id = \"{uuid()}\"",
    lambda: f"conversation {uuid()} was archived",
    lambda: f"git checkout {sha(7)} && git cherry-pick {sha()}",
    lambda: f"commit {sha()}\nAuthor: CI Bot\nDate:   Mon Jan 15 10:30:00 2024 +0100",
    lambda: f"sha256:{sha(64)}",
    lambda: f".button {{ color: #{sha(6)}; background: #{sha(3)}; border-color: rgb({R.randrange(256)}, {R.randrange(256)}, {R.randrange(256)}); }}",
    lambda: f"$$\\int_0^{R.randrange(2, 9)} x^{R.randrange(2, 5)}\\,dx = {R.randrange(10, 999)}.{R.randrange(10, 99)}$$",
    lambda: f"{R.randrange(100, 999)} * {R.randrange(100, 999)} = {R.randrange(10000, 999999)}",
    lambda: f"2^32 = 4294967296 and 2^64 = 18446744073709551616",
    lambda: f"Pi is about 3.14159265358979 and e is 2.718281828459045.",
    lambda: f"The population was {R.randrange(1, 999):,} thousand in {R.randrange(1900, 2024)}.",
    lambda: f"Total: {R.randrange(1, 99)} {R.randrange(100, 999)},{R.randrange(10, 99)} € (TVA {R.randrange(5, 21)} %)",
    lambda: f"Price ${R.randrange(1, 9)},{R.randrange(100, 999)}.{R.randrange(10, 99)} per seat",
    lambda: f"See https://docs.python.org/3/library/{R.choice(['re', 'json', 'os', 'asyncio'])}.html#module-contents",
    lambda: f"https://www.google.com/search?q={R.choice(['rust+wasm', 'chat+export', 'iban+check'])}&hl=en&start={R.randrange(0, 50)}",
    lambda: f"https://github.com/{R.choice(['rust-lang', 'pulldown-cmark', 'zip-rs'])}/{R.choice(['rust', 'zip2', 'regex'])}/issues/{R.randrange(1, 9999)}",
    lambda: f"https://example.com/api/v{R.randrange(1, 4)}/items?page={R.randrange(1, 99)}&per_page=50&sort=desc",
    lambda: f"https://shop.example.de/produkt/{R.randrange(10000, 99999)}?utm_source=newsletter&utm_medium=email",
    lambda: f"password_hash = bcrypt.hashpw(password.encode(), bcrypt.gensalt())",
    lambda: f"api_key = os.environ[\"OPENAI_API_KEY\"]",
    lambda: f"const token = await getAccessToken(user.id);",
    lambda: f"password: string;\n  apiKey?: string;",
    lambda: f"if (!password || password.length < {R.randrange(8, 16)}) throw new Error('too short');",
    lambda: f"DB_PASSWORD=${{DB_PASSWORD}}\nAPI_KEY=<your-api-key>",
    lambda: f"token: ${{{{ secrets.GITHUB_TOKEN }}}}",
    lambda: f"OPENAI_API_KEY=sk-...\n# put your key above",
    lambda: f"max_tokens={R.randrange(256, 8192)}, temperature=0.{R.randrange(0, 9)}",
    lambda: f"def verify_password(plain: str, hashed: str) -> bool:\n    return pwd_context.verify(plain, hashed)",
    lambda: f"let secretKey = process.env.SECRET_KEY_BASE;",
    lambda: f"ISBN 978-3-16-148410-{R.randrange(0, 9)}",
    lambda: f"Order #{R.randrange(10**7, 10**8)} shipped on 2024-03-0{R.randrange(1, 9)}.",
    lambda: f"Tracking number 1Z{sha(16).upper()}",
    lambda: f"Listening on 0.0.0.0:{R.randrange(1024, 65535)} and 127.0.0.1:{R.randrange(1024, 65535)}",
    lambda: f"netmask 255.255.255.0 broadcast",
    lambda: f"localhost is ::1 in IPv6",
    lambda: f"std::vector<int> v; std::map<std::string, int> m;",
    lambda: f"impl fmt::Display for Error {{ fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {{ Ok(()) }} }}",
    lambda: f"Timer: {R.randrange(0, 23):02d}:{R.randrange(0, 59):02d}:{R.randrange(0, 59):02d}",
    lambda: f"Coordinates: {R.randrange(-89, 89)}.{R.randrange(100000, 999999)}, {R.randrange(-179, 179)}.{R.randrange(100000, 999999)}",
    lambda: f"unix time {R.randrange(1_600_000_000, 1_800_000_000)} ms {R.randrange(1_600_000_000_000, 1_800_000_000_000)}",
    lambda: f"The file is {R.randrange(1, 999)}.{R.randrange(0, 9)} MB ({R.randrange(10**6, 10**9)} bytes).",
    lambda: f"id: {not_luhn16()}",
    lambda: f"Snowflake id {R.randrange(10**17, 10**18)}",
    lambda: f"Lot {R.randrange(1000, 9999)}-{R.randrange(1000, 9999)}-{R.randrange(1000, 9999)}",
    lambda: f"Matrix:\n| {R.randrange(10)} {R.randrange(10)} {R.randrange(10)} |\n| {R.randrange(10)} {R.randrange(10)} {R.randrange(10)} |",
    lambda: f"@media (max-width: {R.randrange(300, 1200)}px) {{ .a {{ display: none }} }}",
    lambda: f"@app.route('/users/<int:user_id>')\ndef show(user_id): ...",
    lambda: f"npm install @types/node@{R.randrange(16, 22)}.{R.randrange(0, 9)}.{R.randrange(0, 9)}",
    lambda: f"![logo](img/logo@2x.png)",
    lambda: f"git clone git@github.com:{R.choice(['me', 'acme'])}/project.git",
    lambda: f"Die Kosten betragen {R.randrange(100, 9999)},{R.randrange(10, 99)} EUR pro Jahr.",
    lambda: f"La réunion dure {R.randrange(1, 3)} h {R.randrange(10, 59)} min, salle {R.randrange(100, 500)}.",
    lambda: f"El vuelo IB{R.randrange(1000, 9999)} sale a las {R.randrange(6, 22)}:{R.randrange(10, 59)}.",
    lambda: f"価格は {R.randrange(1000, 99999)} 円です（{R.randrange(2000, 2030)}年{R.randrange(1, 12)}月{R.randrange(1, 28)}日）。",
    lambda: f"第{R.randrange(1, 99)}章 共 {R.randrange(100, 999)} 页",
    lambda: f"Стоимость {R.randrange(1000, 99999)} руб., срок {R.randrange(1, 30)}.{R.randrange(1, 12):02d}.{R.randrange(2020, 2030)}.",
    lambda: f"SELECT id, created_at FROM orders WHERE total > {R.randrange(10, 999)} AND created_at > '2024-01-01' LIMIT {R.randrange(10, 100)};",
    lambda: f"for i in range({R.randrange(10, 10000)}):\n    total += i * {R.randrange(2, 99)}",
    lambda: f"hash = 0x{sha(8)}; mask = 0xFFFF0000;",
    lambda: f"HSL({R.randrange(0, 360)}, {R.randrange(0, 100)}%, {R.randrange(0, 100)}%) and #{sha(8)}",
    lambda: f"UUID v4 example: {uuid().upper()}",
    lambda: f"Base64 of 'hello': aGVsbG8=",
    lambda: f"The DOI is 10.{R.randrange(1000, 9999)}/{R.choice(['nature', 'j.cell', 'acs'])}.{R.randrange(10000, 99999)}",
    lambda: f"Running kernel 6.{R.randrange(1, 9)}.{R.randrange(0, 50)}-{R.randrange(1, 30)}-amd64",
    lambda: f"Section 4.2.1.3 of the spec",
    lambda: f"OID 1.3.6.1.4.1.{R.randrange(1000, 60000)}",
    lambda: f"x = [{', '.join(str(R.randrange(100)) for _ in range(12))}]",
    lambda: f"He scored {R.randrange(10, 99)} points in {R.randrange(20, 48)} minutes (+{R.randrange(1, 15)}).",
    lambda: f"Temperature change: +{R.randrange(1, 9)}.{R.randrange(0, 9)} °C since {R.randrange(1850, 1990)}",
    lambda: f"const key = `user:${{id}}:profile`;",
    lambda: f"cache_key = f\"session:{{user_id}}\"",
    lambda: f"token_type: \"Bearer\"\nexpires_in: {R.randrange(600, 86400)}",
    lambda: f"Authorization: Bearer <token>",
    lambda: f"password = input('Password: ')",
    lambda: f"The keyword `password` must not be logged; use `secret_ref` instead.",
    lambda: f"sk-learn is often misspelled; the package is scikit-learn.",
    lambda: f"Use AKIA prefix checks in your scanner (AKIA + 16 characters).",
    lambda: f"Phone numbers look like +1 …; dial 112 in an emergency.",
    lambda: f"Call extension {R.randrange(100, 999)} or room {R.randrange(1, 99)}.",
    lambda: f"Zip code {R.randrange(10000, 99999)}, PO Box {R.randrange(100, 9999)}",
    lambda: f"IBAN format: two letters, two check digits, up to 30 characters.",
    lambda: f"DE{R.randrange(10, 99)} is the prefix, see the bank's page.",
    lambda: f"Model gpt-4o-2024-08-06 and o1-preview-2024-09-12",
    lambda: f"The sequence 1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144 is Fibonacci.",
    lambda: f"Set TIMEOUT=30000 and RETRIES=5 in .env",
    lambda: f"user@localhost has no domain; neither has root@server.",
    lambda: f"Ana asked about the budget; Lima is the capital of Peru.",
    lambda: f"The Kowalskis' neighbour",
]

for k in range(420):
    f = NEG[k % len(NEG)]
    text = f()
    if k % 3 == 1:
        text = f"```\n{text}\n```"
    add(text, [], "mixed", k % 3 == 1 or any(c in text for c in "=(){};"))

with open(os.path.join(HERE, "corpus.jsonl"), "w", encoding="utf-8") as f:
    for c in cases:
        f.write(json.dumps(c, ensure_ascii=False) + "\n")
with open(os.path.join(HERE, "terms.txt"), "w", encoding="utf-8") as f:
    f.write("\n".join(TERMS) + "\n")
print(f"{positives} texts to change, {len(cases) - positives} to leave")
