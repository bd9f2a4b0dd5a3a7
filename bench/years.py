#!/usr/bin/env python3
"""The days of bench/years: one centre's mail, day by day.

    years.py STATE CONFIG LAMPLIGHT MAILDIR DELIVERED CALENDAR DAYS

Runs the simulation on from the day STATE says (a pickle, made on the
first call) until DAYS days from YEARS_START have passed, then saves
STATE and prints a line of what it did.  bench/years calls it twice,
measuring between.

Each day, at the hours of its cron runs, it puts into the centre's
Maildir (the source lamplight fetches from) that day's mail: new letters
(bench/make-letters.py's web forms, Big5 forms, direct mail and
auto-replies, with emergencies and spam in set shares), writers writing
again on their case (by our reply token, or by the case number in the
subject), staff replies with commands and partners' answers to referral
notices, then runs `lamplight run` with LAMPLIGHT_NOW at that hour.
What lamplight sent comes back through the private exim into DELIVERED:
read there (and removed), it tells the staff of each new case (the
notice's reply token), the writers their acknowledgement and the
partners their referral notice, as their mail clients would.

Staff (on working days of the government calendar only, as partners)
take each case through the SOP by mail: assign and register with the
visit, assess, then close it (無法聯繫, 遷出), refer it and wait for
the partner, or follow it up (contacts monthly for six months, then
every three months) until it closes (再入監, 無法聯繫, 死亡, 遷出; 問題改善
after two years).  Cases moved (遷出) go to KHH, a centre of the same
installation, whose staff find them in the register and work them from
the command line.  A share of the work is done late, so that reminders
have overdue steps to tell.  Retention (365 days) erases the cases
closed a year before, in the runs themselves.  Everything is drawn from
one seeded generator: the same YEARS_SEED makes the same two years.

Environment: YEARS_START (2025-01-01), YEARS_LETTERS (letters a day, a
mean: weekdays more, weekends and holidays fewer), YEARS_RUNS (cron runs
a day), YEARS_SEED; YEARS_DEBUG=1 prints each run's time.
"""
import datetime
import email.parser
import email.policy
import importlib.util
import json
import math
import os
import pickle
import random
import re
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CENTRE = "tpe@centers.moj-help.example"
STAFF = "lin@tpe.centers.example"
# The centre cases move to (遷出) runs here too: its staff find them in
# the register (`case list`) and work them with `case set`.
KHH_STAFF = "wang@khh.centers.example"
PARTNERS = {
    "health": "clinic@tpehealth.partners.example",
    "social": "sw@tpesocial.partners.example",
    "employment": "job@tpejob.partners.example",
}
TZ = "+08:00"
# The shares of a day's letters, as a centre's inbox might hold them.
EMERGENCY = 0.03
SPAM = 0.08
AUTO = 0.04
DIRECT = 0.15
FORM_V1 = 0.12
# How often a writer writes again on an open case.
WRITES_AGAIN = 0.25
# Staff late with a case's intake (2-8 working days), partners late.
LATE = 0.10
PARTNER_LATE = 0.12
PARTNER_SILENT = 0.03
# Cases dealt with in the one intake mail (a question answered).
QUICK = 0.25
# Follow-up lasts this many days on average before the case closes.
FOLLOW_UP_MEAN = 150


def load_letters():
    spec = importlib.util.spec_from_file_location(
        "make_letters", os.path.join(HERE, "make-letters.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


class Calendar:
    """The working days of data/calendar/tw-gov.cal."""

    def __init__(self, path):
        self.off, self.work = set(), set()
        for line in open(path, encoding="utf-8"):
            m = re.match(r"(\d{4}-\d\d-\d\d) (off|work)\b", line)
            if m:
                d = datetime.date.fromisoformat(m.group(1))
                (self.off if m.group(2) == "off" else self.work).add(d)

    def working(self, d):
        if d in self.work:
            return True
        return d.weekday() < 5 and d not in self.off

    def after(self, d, n):
        """The n-th working day after d (n = 0: d or the next one)."""
        if n == 0:
            while not self.working(d):
                d += datetime.timedelta(days=1)
            return d
        while n > 0:
            d += datetime.timedelta(days=1)
            if self.working(d):
                n -= 1
        return d


def poisson(rnd, lam):
    # Knuth's method; lam is small (a day's letters in one run).
    limit, k, p = math.exp(-lam), 0, rnd.random()
    while p > limit:
        k += 1
        p *= rnd.random()
    return k


def delivered():
    """The mail exim delivered and we have not read (exim makes the
    Maildir at its first delivery)."""
    try:
        return os.listdir(os.path.join(DELIVERED, "new"))
    except FileNotFoundError:
        return []


def header_block(data):
    end = data.find(b"\n\n")
    return data if end < 0 else data[:end + 1]


class Sim:
    def __init__(self, st):
        self.st = st            # everything that outlives a call (pickled)
        self.rnd = st["rnd"]

    # --- the mail people write -------------------------------------
    def put(self, run, data):
        self.st["inbox"].setdefault(run, []).append(data)

    def new_letters(self, day, runs):
        st, rnd, ml = self.st, self.rnd, LETTERS
        lam = st["letters"] * (1.2 if CAL.working(day) else 0.5)
        for _ in range(poisson(rnd, lam)):
            st["serial"] += 1
            i = st["serial"]
            ml.PREFIX = "y%s." % day.isoformat()
            r = rnd.random()
            if r < SPAM:
                data, k = ml.spam(i, rnd), "spam"
            elif r < SPAM + AUTO:
                data, k = ml.auto(i, rnd), "auto"
            else:
                crisis = rnd.random() < EMERGENCY
                ml.TOPICS = ([t for t in TOPICS if t[0] == "撐不下去"]
                             if crisis else CALM)
                r = rnd.random()
                gen = (ml.direct if r < DIRECT else
                       ml.form_v1 if r < DIRECT + FORM_V1 else ml.form_v2)
                data = gen(i, rnd)
                k = "emergency" if crisis else "letter"
            data = re.sub(rb"Date: [^\r\n]*",
                          day.strftime("Date: %a, %d %b %Y 09:00:00 +0800")
                          .encode(), data, count=1)
            st["count"][k] = st["count"].get(k, 0) + 1
            self.put(rnd.randrange(runs), data)

    def mail(self, head, body):
        self.st["serial"] += 1
        head = ["Message-ID: <y%d.%d@mail.example>" % (
            self.st["serial"], self.rnd.randrange(1 << 30))] + head
        return ("\r\n".join(head) +
                "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; "
                "charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
                body.replace("\n", "\r\n")).encode()

    def staff_mail(self, day, c, commands):
        """lin's reply to the case's notice, with commands."""
        rt, mid, subject = c["token"]
        text = "\n".join(commands) + "\n"
        if c.get("ack") and self.rnd.random() < 0.25:
            text += "#thanks\n您好，我是中心的社工，這幾天會再與您聯絡。\n"
        self.put(0, self.mail([
            "Authentication-Results: localhost; auth=pass smtp.auth=" + STAFF,
            "Date: " + day.strftime("%a, %d %b %Y 08:30:00 +0800"),
            "From: 林社工 <%s>" % STAFF, "To: " + rt,
            "Subject: Re: " + subject,
            "In-Reply-To: <%s>" % mid, "References: <%s>" % mid], text))
        self.st["count"]["staff mail"] = \
            self.st["count"].get("staff mail", 0) + 1

    def partner_mail(self, day, number, group, notice, runs):
        rt, mid, subject = notice
        body = self.rnd.choice([
            "您好：已安排門診評估，請個案攜帶健保卡。",
            "已收到轉介，社工將於下週家訪。",
            "已與個案聯繫，安排職業訓練說明會。",
        ])
        self.put(runs - 1, self.mail([
            "Date: " + day.strftime("%a, %d %b %Y 14:00:00 +0800"),
            "From: " + PARTNERS[group], "To: " + rt,
            "Subject: RE: " + subject,
            "In-Reply-To: <%s>" % mid, "References: <%s>" % mid],
            body + "\n"))
        self.st["count"]["partner reply"] = \
            self.st["count"].get("partner reply", 0) + 1

    def writer_mail(self, day, number, c, runs):
        addr, rt, mid = c["ack"]
        if self.rnd.random() < 0.5:     # by our token
            head = ["To: " + rt, "Subject: Re: 收到您的來信",
                    "In-Reply-To: <%s>" % mid]
        else:                           # by the case number alone
            head = ["To: " + CENTRE, "Subject: 關於案號 %s" % number]
        self.put(self.rnd.randrange(runs), self.mail(
            ["Date: " + day.strftime("%a, %d %b %Y 20:00:00 +0800"),
             "From: " + addr] + head,
            "謝謝您的回覆，我平日晚上比較方便，請再跟我聯絡。\n"))
        self.st["count"]["writer again"] = \
            self.st["count"].get("writer again", 0) + 1

    # --- what staff and partners do, and when ------------------------
    def later(self, day, action):
        self.st["todo"].setdefault(day, []).append(action)

    def on_working(self, day, n, action):
        self.later(CAL.after(day, n), action)

    def new_case(self, day, number):
        rnd = self.rnd
        late = rnd.randint(2, 8) if rnd.random() < LATE else 0
        self.on_working(day, 1 + late, ("intake", number, late))
        if self.st["cases"][number].get("ack") and \
                rnd.random() < WRITES_AGAIN:
            self.later(day + datetime.timedelta(days=rnd.randint(1, 20)),
                       ("writer", number))

    def act(self, day, action, runs):
        kind, number = action[0], action[1]
        c = self.st["cases"].get(number)
        if c is None or c["state"] == "closed":
            return
        if kind == "writer":
            self.writer_mail(day, number, c, runs)
            return
        if not CAL.working(day):
            self.on_working(day, 0, action)
            return
        rnd, today = self.rnd, day.isoformat()
        if kind == "partner":
            group = action[2]
            self.partner_mail(day, number, group, c["notices"][group], runs)
            c["waiting"].discard(group)
            if not c["waiting"] and c["state"] == "referred":
                c["state"] = "follow_up wait"
                self.on_working(day, rnd.randint(1, 3), ("follow_up", number))
            return
        if kind == "taken over":
            # The receiving centre's intake, from the command line.
            for step in action[2]:
                self.case_set(day, number, step)
            if action[2][0] == "registered":
                c["state"] = "assessed"
                reason = rnd.choice(["unreachable", "reimprisoned"])
                self.on_working(day, rnd.randint(5, 20), (
                    "taken over", number, [["closed", "--reason", reason]]))
            else:
                c["state"] = "closed"
            return
        if kind == "intake":
            cmds = ["#assign lin", "#state registered", "#visit " + today]
            if rnd.random() < 0.3:
                cmds.append("#note 已電話聯絡本人，約定訪視")
            if rnd.random() < QUICK:
                # A question answered in one call: nothing more to do.
                cmds += ["#state assessed", "#close 3"]
                c["state"] = "closed"
            else:
                c["state"] = "contacted"
                self.on_working(day, 1 + action[2] // 2, ("assess", number))
            self.staff_mail(day, c, cmds)
        elif kind == "assess":
            cmds = ["#state assessed"]
            r = rnd.random()
            if r < 0.30:
                self.on_working(day, rnd.randint(5, 25),
                                ("close", number, "3"))
            elif r < 0.40:
                self.on_working(day, rnd.randint(3, 15),
                                ("close", number, "5 KHH"))
            elif r < 0.85:
                groups = rnd.sample(sorted(PARTNERS),
                                    2 if rnd.random() < 0.2 else 1)
                cmds += ["#refer %s 需要%s協助" % (g, g) for g in groups]
                c["state"] = "referred"
                c["waiting"] = set(groups)
                c["referred"] = day
                # Whether or not every partner answers, staff go on.
                self.on_working(day, 12, ("follow_up", number))
            else:
                cmds.append("#state follow_up")
                self.follow_up(day, number, c)
            self.staff_mail(day, c, cmds)
        elif kind == "follow_up":
            if c["state"] in ("referred", "follow_up wait"):
                self.staff_mail(day, c, ["#state follow_up"])
                self.follow_up(day, number, c)
        elif kind == "contact":
            self.staff_mail(day, c, ["#followup " + today])
        elif kind == "close":
            self.staff_mail(day, c, ["#close " + action[2]])
            c["state"] = "closed"

    def follow_up(self, day, number, c):
        rnd = self.rnd
        c["state"] = "follow_up"
        days = min(int(rnd.expovariate(1 / FOLLOW_UP_MEAN)) + 10, 800)
        end = day + datetime.timedelta(days=days)
        for m in list(range(1, 7)) + list(range(9, 25, 3)):
            at = day + datetime.timedelta(days=round(m * 30.4))
            if at >= end:
                break
            self.on_working(at, rnd.choice([0, 0, 0, 1, 2]),
                            ("contact", number))
        r = rnd.random()
        reason = ("1" if days >= 731 else
                  "2" if r < 0.3 else "4" if r < 0.35 else
                  "5 KHH" if r < 0.45 else "3")
        self.on_working(end, 0, ("close", number, reason))

    def case_set(self, day, number, step):
        env = dict(os.environ, LAMPLIGHT_NOW=day.strftime(
            "%Y-%m-%dT11:00:00" + TZ))
        if isinstance(step, str):
            step = [step]
        p = subprocess.run([LAMPLIGHT, "case", "set", "-c", CONFIG, number] +
                           step + ["--as", KHH_STAFF], env=env,
                           capture_output=True, text=True)
        if p.returncode != 0:
            sys.stderr.write("years: case set %s %s: %s\n" % (
                number, step[0], p.stderr.strip()[-300:]))
        self.st["count"]["case set"] = self.st["count"].get("case set", 0) + 1

    def taken_over(self, day):
        """The cases moved to KHH, seen in its register on a working day."""
        env = dict(os.environ, LAMPLIGHT_NOW=day.strftime(
            "%Y-%m-%dT10:30:00" + TZ))
        p = subprocess.run([LAMPLIGHT, "case", "list", "-c", CONFIG,
                            "--centre", "KHH", "--state", "received",
                            "--json"], env=env, capture_output=True,
                           text=True)
        for row in (json.loads(p.stdout) if p.returncode == 0 else []):
            number = row["number"]
            if number not in self.st["cases"]:
                self.st["cases"][number] = {"state": "new", "day": day}
                self.on_working(day, self.rnd.randint(1, 3), (
                    "taken over", number,
                    ["registered", "contacted", "assessed"]))

    # --- what came back through exim ---------------------------------
    def read_delivered(self, day, runs):
        st = self.st
        parser = email.parser.BytesHeaderParser(policy=email.policy.default)
        new = os.path.join(DELIVERED, "new")
        for name in sorted(delivered()):
            path = os.path.join(new, name)
            with open(path, "rb") as f:
                m = parser.parsebytes(header_block(f.read(65536)))
            os.unlink(path)
            st["delivered"] += 1
            rcpt = str(m.get("Envelope-to", "")).strip().lower()
            number = str(m.get("X-Lamplight-Case", "")).strip()
            c = st["cases"].get(number) if number else None
            try:
                rt = m["Reply-To"].addresses[0].addr_spec
            except (TypeError, IndexError, AttributeError):
                rt = None
            mid = str(m.get("Message-ID", "")).strip().strip("<>")
            subject = str(m.get("Subject", ""))
            if not number or rt is None:
                st["out"]["digest or other"] = \
                    st["out"].get("digest or other", 0) + 1
                continue
            if rcpt == STAFF:
                what = "to staff"
                if c is None and "新案件" in subject:
                    c = st["cases"][number] = {"state": "new", "day": day}
                    c["token"] = (rt, mid, subject)
                    st["new_cases"].append(number)
            elif rcpt in PARTNERS.values():
                what = "referral notice"
                if c is not None and c["state"] != "closed":
                    group = [g for g, a in PARTNERS.items() if a == rcpt][0]
                    c.setdefault("notices", {})[group] = (rt, mid, subject)
                    r = self.rnd.random()
                    if r < PARTNER_SILENT:
                        pass
                    else:
                        n = (self.rnd.randint(6, 10) if r < PARTNER_SILENT +
                             PARTNER_LATE else self.rnd.randint(1, 5))
                        self.on_working(day, n, ("partner", number, group))
            elif rcpt.startswith("duty@"):
                what = "to duty"
            else:
                what = "to writers"
                st["acks"].setdefault(number, (rcpt, rt, mid))
            st["out"][what] = st["out"].get(what, 0) + 1
        # A notice and the writer's acknowledgement come in any order.
        for number in st["new_cases"]:
            c = st["cases"][number]
            if number in st["acks"]:
                c["ack"] = st["acks"].pop(number)
            self.new_case(day, number)
        st["new_cases"] = []
        st["acks"] = {n: a for n, a in st["acks"].items()
                      if n not in st["cases"]}

    # --- a day ---------------------------------------------------------
    def cron(self, day, hour, run, runs):
        st = self.st
        os.makedirs(os.path.join(MAILDIR, "tmp"), exist_ok=True)
        for data in st["inbox"].pop(run, []):
            st["serial"] += 1
            name = "%d.y%d.years" % (1700000000 + st["serial"], st["serial"])
            tmp = os.path.join(MAILDIR, "tmp", name)
            with open(tmp, "wb") as f:
                f.write(data)
            os.rename(tmp, os.path.join(MAILDIR, "new", name))
        now = "%sT%02d:00:00%s" % (day.isoformat(), hour, TZ)
        env = dict(os.environ, LAMPLIGHT_NOW=now)
        t = time.monotonic()
        p = subprocess.run([LAMPLIGHT, "run", "--first-run", "-v", "-c",
                            CONFIG], env=env, capture_output=True,
                           text=True)
        took = time.monotonic() - t
        st["run_s"].append((day.isoformat(), took))
        st["exits"][p.returncode] = st["exits"].get(p.returncode, 0) + 1
        if p.returncode not in (0, 1):
            sys.stderr.write("years: run at %s exited %d: %s\n" %
                             (now, p.returncode, p.stderr.strip()[-400:]))
        m = re.search(r"sent (\d+)", p.stdout + p.stderr)
        st["sent"] += int(m.group(1)) if m else 0
        t2 = time.monotonic()
        self.wait_delivered()
        t3 = time.monotonic()
        self.read_delivered(day, runs)
        if os.environ.get("YEARS_DEBUG"):
            sys.stderr.write("%s run %.2f s wait %.2f s read %.2f s: %s\n" % (
                now, took, t3 - t2, time.monotonic() - t3,
                (p.stdout + p.stderr).strip().splitlines()[-1:]))

    def wait_delivered(self):
        st = self.st
        deadline = time.monotonic() + 60
        while st["delivered"] + len(delivered()) < st["sent"]:
            if time.monotonic() > deadline:
                sys.stderr.write("years: exim delivered %d of %d\n" % (
                    st["delivered"] + len(delivered()), st["sent"]))
                st["delivered"] = st["sent"] - len(delivered())
                break
            time.sleep(0.02)

    def day(self, day):
        st = self.st
        runs = st["runs"]
        for action in st["todo"].pop(day, []):
            self.act(day, action, runs)
        self.new_letters(day, runs)
        for run in range(runs):
            self.cron(day, 8 + run * 10 // max(runs, 1), run, runs)
        if CAL.working(day):
            self.taken_over(day)


def main():
    global LETTERS, TOPICS, CALM, CAL, CONFIG, LAMPLIGHT, MAILDIR, DELIVERED
    state, CONFIG, LAMPLIGHT, MAILDIR, DELIVERED, cal, days = sys.argv[1:8]
    LETTERS = load_letters()
    TOPICS = list(LETTERS.TOPICS)
    CALM = [t for t in TOPICS if t[0] != "撐不下去"]
    CAL = Calendar(cal)
    if os.path.exists(state):
        with open(state, "rb") as f:
            st = pickle.load(f)
    else:
        st = {"rnd": random.Random(int(os.environ.get("YEARS_SEED", "1"))),
              "start": datetime.date.fromisoformat(
                  os.environ.get("YEARS_START", "2025-01-01")),
              "letters": float(os.environ.get("YEARS_LETTERS", "10")),
              "runs": int(os.environ.get("YEARS_RUNS", "1")),
              "day": 0, "serial": 0, "cases": {}, "todo": {}, "inbox": {},
              "new_cases": [], "acks": {}, "count": {}, "out": {},
              "exits": {}, "sent": 0, "delivered": 0, "run_s": []}
    sim = Sim(st)
    # Mail of ours delivered since (bench/years' own runs) is no news.
    st["delivered"] = st["sent"] - len(delivered())
    t = time.monotonic()
    first, n0 = st["day"], len(st["run_s"])
    while st["day"] < int(days):
        sim.day(st["start"] + datetime.timedelta(days=st["day"]))
        st["day"] += 1
    with open(state + ".new", "wb") as f:
        pickle.dump(st, f)
    os.rename(state + ".new", state)
    runs = [s for _, s in st["run_s"][n0:]]
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print("days %d-%d (%s to %s): %s; mail out: %s; runs %d (exit codes %s), "
          "mean %.2f s, slowest %.2f s, peak RSS of a run %.1f MiB; %.0f s" % (
              first + 1, st["day"], st["start"] + datetime.timedelta(
                  days=first), st["start"] + datetime.timedelta(
                  days=st["day"] - 1),
              ", ".join("%s %d" % kv for kv in sorted(st["count"].items())),
              ", ".join("%s %d" % kv for kv in sorted(st["out"].items())),
              len(runs), " ".join("%s:%d" % kv for kv in
                                  sorted(st["exits"].items())),
              sum(runs) / max(len(runs), 1), max(runs or [0]),
              peak / 1024, time.monotonic() - t))


if __name__ == "__main__":
    main()
