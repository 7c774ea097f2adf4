"""Loads the official VTP tokenizer (vtp/tokenizers/text_tokenizer.py of a VTP checkout) for the
fixture generators in this folder. torch is not needed: encode/decode never touch it, so a stub
module stands in when it is not installed."""
import importlib.util
import sys
import types


def load_reference(path, bpe):
    """Returns (module, SimpleTokenizer instance)."""
    if "torch" not in sys.modules:
        try:
            import torch  # noqa: F401
        except ImportError:
            stub = types.ModuleType("torch")
            stub.LongTensor = object
            sys.modules["torch"] = stub
    spec = importlib.util.spec_from_file_location("vtp_text_tokenizer", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.HAS_REGEX, "pip install regex"
    return module, module.SimpleTokenizer(bpe_path=str(bpe), context_length=77)
