"""The demo merchant (演示商户): a seeded, clearly SYNTHETIC after-sales data set with planted truths.

`generate` builds the frames in memory, `write_demo` writes the files, `build_demo` also ingests them.
"""

from aftersales.demo.build import DemoResult, build_demo
from aftersales.demo.generator import DemoData, default_end, generate
from aftersales.demo.output import write_demo

__all__ = ["DemoData", "DemoResult", "build_demo", "default_end", "generate", "write_demo"]
