"""The pinyin readings copied into a generation's vocabulary (`archive.vocabulary`)."""
from __future__ import annotations

from archive import vocabulary


def test_readings_are_pypinyins_table_without_importing_its_phrases():
    """The table read from pypinyin's JSON file is the module's own, and
    reading it leaves pypinyin's phrase dictionaries unloaded (~60 MiB)."""
    import subprocess
    import sys

    from pypinyin.pinyin_dict import pinyin_dict

    assert vocabulary._pinyin_dict() == pinyin_dict
    code = ("import sys; from archive import vocabulary; t = vocabulary.all_readings(); "
            "print(len(t), t['重'], 'pypinyin.constants' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out[0] == str(len(pinyin_dict)) and "zhong" in out[1] and "chong" in out[1]
    assert out[2] == "False"
