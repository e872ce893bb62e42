"""Write the SDL snapshot: `python -m schema.export` (CI fails when it is stale)."""

from pathlib import Path

SNAPSHOT = Path(__file__).with_name("schema.graphql")


def sdl() -> str:
    from schema.build import build_schema

    return build_schema().as_str().rstrip() + "\n"


if __name__ == "__main__":
    SNAPSHOT.write_text(sdl())
    print(f"wrote {SNAPSHOT}")
