"""Extraction in Python, on the cases of test/completion.test.ts (the TypeScript original). The
vitest file test/python-reward.test.ts also compares both on a seeded corpus.
Run: PYTHONPATH=python python3 -m unittest discover -s python/tests"""

import random
import unittest

from evom_reward.protocol import FENCES, extract_code

LP = "Maximize\n obj: x\nEnd\n"


class Protocol(unittest.TestCase):
    def test_code_block_after_think(self):
        r = extract_code("<think>plan</think>\n<code>\nMaximize\n obj: x\nEnd\n</code>")
        self.assertEqual((r.ok, r.code, r.via, r.think), (True, LP, "code_tag", "plan"))

    def test_fence_inside_code_block_is_stripped(self):
        r = extract_code("<think>t</think><code>\n```lp\nMaximize\n obj: x\nEnd\n```\n</code>")
        self.assertEqual(r.code, "Maximize\n obj: x\nEnd")

    def test_single_fence_in_lenient_mode_only(self):
        text = "Here is the model:\n```lp\nMinimize\n obj: x\nEnd\n```\nDone."
        r = extract_code(text, "lenient")
        self.assertEqual((r.ok, r.via, r.code), (True, "fence", "Minimize\n obj: x\nEnd\n"))
        self.assertFalse(extract_code(text, "strict").ok)

    def test_format_errors_have_reasons(self):
        cases = [
            ("I think the answer is 42.", "no <code>"),
            ("<think>x</think><code>   \n </code>", "empty"),
            ("<code>a</code><code>b</code>", "2 <code> blocks"),
            ("<think>x</think><code>Maximize", "never closed"),
            ("```\na\n```\ntext\n```\nb\n```", "2 fenced"),
            ("```lp\nMaximize", "never closed"),
            ("```lp\n```", "empty"),
            ("<think>still thinking <code>x</code>", "never closed with </think>"),
            (f"<think>t</think><code><code>{LP}</code></code>", "inside the <code> block"),
            ("<think>t</think><code>a</code> and <code>b</code>", "2 <code> blocks"),
        ]
        for text, reason in cases:
            with self.subTest(text=text):
                r = extract_code(text)
                self.assertFalse(r.ok)
                self.assertIn(reason, r.reason)

    def test_strict_mode(self):
        self.assertTrue(extract_code("<think>a</think><code>x</code>", "strict").ok)
        self.assertFalse(extract_code("<code>x</code>", "strict").ok)
        self.assertFalse(extract_code("preamble <think>a</think><code>x</code>", "strict").ok)

    def test_tags_while_thinking_are_not_blocks(self):
        r = extract_code(f"<think>I will answer inside <code>…</code> tags, like <code>this</code>.</think>\n<code>\n{LP}</code>")
        self.assertEqual((r.ok, r.code, r.via), (True, LP, "code_tag"))
        # a </think> with no <think>: the prompt opened the thinking part
        self.assertEqual(extract_code(f"plan with <code>x</code> in mind</think><code>\n{LP}</code>").code, LP)

    def test_code_lang_attribute(self):
        self.assertEqual(extract_code(f'<think>t</think><code lang="lp">\n{LP}</code>').code, LP)
        self.assertEqual(extract_code(f'<think>t</think><code lang="python">\n{LP}</code>').code, LP)

    def test_several_fences_pick_the_targets_language(self):
        text = f'Data:\n```json\n{{"a": 1}}\n```\nModel:\n```lp\n{LP}```\n'
        r = extract_code(text, fences=FENCES["highs"])
        self.assertEqual((r.ok, r.code, r.via), (True, LP, "fence"))
        self.assertFalse(extract_code(text, fences=FENCES["glpk"]).ok)
        self.assertEqual(extract_code(text, fences=FENCES["glpk-json"]).code, '{"a": 1}\n')
        py = "Setup:\n```bash\npip install pulp\n```\n```python\nimport pulp\n```\n"
        self.assertEqual(extract_code(py, fences=FENCES["pulp"]).code, "import pulp\n")
        self.assertIn("(or one marked ```python)", extract_code("```\na\n```\n```\nb\n```", fences=FENCES["pulp"]).reason)
        # fences inside the thinking part are not candidates
        self.assertEqual(extract_code(f"<think>```\ndraft\n```</think>\n```lp\n{LP}```\n").code, LP)

    def test_what_is_said_while_thinking_never_changes_the_code(self):
        rng = random.Random(7)
        parts = ["<think>", "<code>", "</code>", '<code lang="x">', "```", "```lp\n", "\n", "text ", "<", ">", "</cod", "<thin"]
        tails = [f"<code>\n{LP}</code>", f"\n```lp\n{LP}```\n", f"<code>{LP}", "", "<code>a</code><code>b</code>"]

        def soup():
            return "".join(rng.choice(parts) for _ in range(rng.randint(0, 40)))

        for _ in range(1000):
            tail = rng.choice(tails)
            a, b = extract_code(f"<think>{soup()}</think>{tail}"), extract_code(f"<think>{soup()}</think>{tail}")
            self.assertEqual((a.ok, a.code, a.via, a.reason), (b.ok, b.code, b.via, b.reason), tail)

    def test_never_raises_on_hostile_input(self):
        for s in ["", "<code>", "</code><code>", "`" * 10000, "<think>" * 5000, "\u0000\uffff", "\ud800<code>x</code>",
                  "<think>" * 100_000, "<code>" * 100_000, "</think><code>" * 50_000,
                  "<think><code>" * 30_000 + "</code></think>" * 30_000, "```\n" * 100_000]:
            r = extract_code(s)
            self.assertIsInstance(r.ok, bool)
        self.assertFalse(extract_code(None).ok)
        self.assertFalse(extract_code(["<code>x</code>"]).ok)


if __name__ == "__main__":
    unittest.main()
