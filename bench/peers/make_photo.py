"""A phone-sized test photo for the intake benchmark: 4032 x 3024 (12 MP), about 3 MB of JPEG,
with GPS EXIF as phones write it. Usage: make_photo.py OUT.jpg"""
import os, sys
from PIL import Image

w, h = 4032, 3024
base = Image.effect_noise((w // 16, h // 16), 90).convert("RGB").resize((w, h), Image.BICUBIC)
im = Image.blend(base, Image.effect_noise((w, h), 14).convert("RGB"), 0.3)
exif = Image.Exif()
exif[0x8825] = {1: "N", 2: (30.0, 50.0, 24.0), 3: "E", 4: (106.0, 58.0, 12.0)}
im.save(sys.argv[1], quality=92, exif=exif.tobytes())
print(f"{os.path.getsize(sys.argv[1]) / 1e6:.1f} MB")
