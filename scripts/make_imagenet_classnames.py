"""Writes Sources/VTPEval/Resources/imagenet_classnames.txt: OpenCLIP's curated ImageNet-1k class names (one per
line, in the sorted-synset order of ImageFolder), which the official VTP zero-shot evaluation uses.

    pip download open_clip_torch --no-deps -d /tmp/oc && python3 scripts/make_imagenet_classnames.py /tmp/oc/*.whl
"""
import ast
import sys
import zipfile

with zipfile.ZipFile(sys.argv[1]) as wheel:
    source = wheel.read("open_clip/zero_shot_metadata.py").decode()
tree = ast.parse(source)
names = None
for node in tree.body:
    if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "IMAGENET_CLASSNAMES" for t in node.targets):
        names = ast.literal_eval(node.value)
assert names is not None and len(names) == 1000, "IMAGENET_CLASSNAMES not found or not 1000 names"
assert all("\n" not in n for n in names)
with open("Sources/VTPEval/Resources/imagenet_classnames.txt", "w") as f:
    f.write("\n".join(names) + "\n")
print(f"wrote {len(names)} class names")
