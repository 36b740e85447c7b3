"""``amends train|evaluate|model|label|classify`` as an admin runs them."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from classifier.bootstrap import corpus_files
from tests.e2e.conftest import Amends
from tests.fixtures.imap import ImapAccount


def setup(tmp_path: Path) -> None:
    (tmp_path / "amends.toml").write_text(
        '[database]\nurl = "sqlite:///amends.db"\n\n[classifier]\nmodel_dir = "models"\n'
    )


def corpus_sample(tmp_path: Path, per_label: int, name: str = "sample.csv") -> Path:
    """A CSV of the first ``per_label`` English corpus emails of every label."""
    rows, seen = [], {}
    for path in corpus_files():
        for line in path.read_text().splitlines():
            row = json.loads(line)
            if row["lang"] == "en" and seen.get(row["label"], 0) < per_label:
                seen[row["label"]] = seen.get(row["label"], 0) + 1
                rows.append(row)
    out = tmp_path / name
    with out.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["subject", "body", "label"])
        for row in rows:
            writer.writerow([row["subject"], row["body"], row["label"]])
    return out


def test_train_reports_cross_validation_and_promotes_then_registry(
    amends: Amends, tmp_path: Path
) -> None:
    setup(tmp_path)
    trained = amends("train", "--cv", "2")
    assert trained.returncode == 0, trained.stderr
    out = trained.stdout
    assert "training data: 1464 examples" in out
    assert "new model, cross-validated (2-fold cross-validation, 1464 examples)" in out
    assert "macro-F1" in out and "confusion matrix" in out
    assert "promoted:" in out and "there is no active model" in out
    assert "Traceback" not in trained.stderr
    png = next((tmp_path / "models").glob("*.confusion.png"))
    assert png.read_bytes()[:4] == b"\x89PNG"

    listed = amends("model", "list")
    assert listed.returncode == 0
    (version, _created, active, examples, labels, *_rest) = listed.stdout.splitlines()[0].split(
        "\t"
    )
    # Trained on the training side: about 80% of the corpus, the rest held out.
    assert (active, labels) == ("yes", "12") and 1100 < int(examples) < 1464

    shown = amends("model", "show")
    assert shown.returncode == 0 and version in shown.stdout and "(active)" in shown.stdout

    # Trained on a sliver, the next candidate scores below the active model and is kept out.
    sliver = corpus_sample(tmp_path, 12)
    kept_out = amends("train", "--no-bootstrap", "--data", str(sliver), "--cv", "0")
    assert kept_out.returncode == 0, kept_out.stderr
    assert "not promoted:" in kept_out.stdout
    assert f"{version} stays active" in kept_out.stdout
    assert "classifier.max_regression" in kept_out.stdout

    evaluated = amends("evaluate", "--data", str(sliver))
    assert evaluated.returncode == 0, evaluated.stderr
    assert f"model {version}" in evaluated.stdout and "macro-F1" in evaluated.stdout

    newest = amends("model", "list").stdout.splitlines()[-1].split("\t")[0]
    assert amends("model", "activate", newest).returncode == 0
    back = amends("model", "rollback")
    assert back.returncode == 0 and f"model {version} is active again" in back.stdout


def test_bad_training_data_gets_a_clear_error(amends: Amends, tmp_path: Path) -> None:
    setup(tmp_path)
    one_class = tmp_path / "one.csv"
    one_class.write_text(
        "text,label\n" + "".join(f"parcel {i} missing,lost_item\n" for i in range(9))
    )
    result = amends("train", "--no-bootstrap", "--no-feedback", "--data", str(one_class))
    assert result.returncode == 1
    assert "at least two different labels" in result.stderr and "Traceback" not in result.stderr

    unknown = tmp_path / "unknown.jsonl"
    unknown.write_text(json.dumps({"text": "pizza was cold", "label": "cold_food"}) + "\n")
    result = amends("train", "--data", str(unknown))
    assert result.returncode == 1
    assert "labels not in the configuration: cold_food" in result.stderr
    assert "[classifier.labels]" in result.stderr

    columns = tmp_path / "columns.csv"
    columns.write_text("message,category\nhello,delay\n")
    result = amends("train", "--data", str(columns))
    assert result.returncode == 1 and "needs a 'label' column" in result.stderr

    result = amends("train", "--mail", "no-equals-sign")
    assert result.returncode == 2 and "use LABEL=PATH" in result.stderr
    # Nothing was trained, so no model is active.
    assert amends("model", "show").returncode == 1


def test_train_from_a_maildir_per_label(amends: Amends, tmp_path: Path) -> None:
    import mailbox
    from email.message import EmailMessage

    setup(tmp_path)
    root = tmp_path / "labelled"
    root.mkdir()
    texts = {
        "billing_error": "You charged my card twice for the {thing}; please return the money.",
        "rude_staff": "Your driver shouted at me and threw the {thing} over the fence.",
    }
    things = ["lamp", "kettle", "sofa", "rug", "printer", "blender", "mirror", "desk"]
    for label, text in texts.items():
        box = mailbox.Maildir(root / label, create=True)
        for thing in things:
            msg = EmailMessage()
            msg["From"] = "customer@example.net"
            msg["Subject"] = f"About the {thing}"
            msg.set_content(text.format(thing=thing) + "\n\n> the quoted older message\n")
            box.add(msg)
        box.close()
    result = amends("train", "--mail-root", str(root), "--cv", "0")
    assert result.returncode == 0, result.stderr
    assert f"from {root / 'billing_error'}: 8" in result.stdout


def test_label_and_classify_commands(amends: Amends, tmp_path: Path) -> None:
    setup(tmp_path)
    classified = amends("classify")
    assert classified.returncode == 0, classified.stderr
    assert "classified 0 ticket(s) with model default-" in classified.stdout
    wrong = amends("label", "1", "late_pizza")
    assert wrong.returncode == 1 and "not a configured failure type" in wrong.stderr
    missing = amends("label", "42", "delay")
    assert missing.returncode == 1 and "no ticket 42" in missing.stderr


def test_synced_mail_is_classified_and_explained(
    amends: Amends, tmp_path: Path, imap_account: ImapAccount
) -> None:
    from email.message import EmailMessage

    (tmp_path / "amends.toml").write_text(
        imap_account.config_toml(database_url="sqlite:///amends.db")
        + '\n[classifier]\nmodel_dir = "models"\n'
    )
    env = {"TEST_IMAP_PASSWORD": imap_account.password}
    mails = [
        (
            "ana@example.net",
            "Charged twice AGAIN!!!",
            "This is the THIRD TIME you took the money twice for order 4411. I am disputing the "
            "charge with my bank and my lawyer will hear about it!!!\n\n-- \nAna",
        ),
        (
            "bo@example.net",
            "Hvala",
            "Samo da vam se zahvalim, novi ruter radi odlično. Svaka čast vašem timu!",
        ),
    ]
    raws = []
    for n, (sender, subject, body) in enumerate(mails):
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = sender, "support@example.com", subject
        msg["Message-ID"] = f"<c{n}@example.net>"
        msg.set_content(body)
        raws.append(bytes(msg))
    imap_account.append_many("INBOX", raws)
    assert amends("sync", "--once", env=env).returncode == 0
    classified = amends("classify", env=env)
    assert classified.returncode == 0, classified.stderr
    assert "classified 2 ticket(s)" in classified.stdout
    rows = [line.split("\t") for line in amends("tickets", "list").stdout.splitlines()]
    ana = next(r[0] for r in rows if r[3] == "ana@example.net")
    shown = amends("tickets", "show", ana)
    assert shown.returncode == 0, shown.stderr
    assert "failure type: billing_error" in shown.stdout
    assert "severity: severe" in shown.stdout
    assert "terms that drove it:" in shown.stdout
    assert "threatens legal action: “my lawyer”" in shown.stdout
    bo = next(r[0] for r in rows if r[3] == "bo@example.net")
    assert "failure type: not_a_complaint" in amends("tickets", "show", bo).stdout

    synced_labels = amends("labels", "sync", env=env)
    assert synced_labels.returncode == 0, synced_labels.stderr
    assert "support: 0 correction(s), created 14 folder(s)" in synced_labels.stdout
    relabelled = amends("label", bo, "website_or_app", "--by", "ana")
    assert relabelled.returncode == 0
    assert f"ticket {bo}: not_a_complaint → website_or_app" in relabelled.stdout
    final = amends("tickets", "show", bo).stdout
    assert "website_or_app (cli, by ana)" in final


def test_labels_sync_reports_an_unreachable_mailbox(amends: Amends, tmp_path: Path) -> None:
    from tests.fixtures.imap import free_port

    (tmp_path / "amends.toml").write_text(
        '[database]\nurl = "sqlite:///amends.db"\n\n[[mailboxes]]\nname = "support"\n'
        'address = "support@example.com"\n[mailboxes.imap]\nhost = "127.0.0.1"\n'
        f'port = {free_port("127.0.0.1")}\nsecurity = "none"\nallow_insecure = true\n'
        'password_env = "TEST_IMAP_PASSWORD"\n'
    )
    result = amends("labels", "sync", env={"TEST_IMAP_PASSWORD": "secret"})
    assert result.returncode == 1
    assert "support: IMAP server 127.0.0.1" in result.stderr and "refused" in result.stderr
    assert "what to do:" in result.stderr and "Traceback" not in result.stderr
