"""Progress bars: tqdm when installed and wanted, otherwise a silent stand-in."""


class _Silent:
    def __init__(self, iterable=None, **_):
        self._iterable = iterable

    def __iter__(self):
        return iter(self._iterable)

    def update(self, n=1):
        pass

    def set_postfix_str(self, s):
        pass

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def progress(iterable=None, *, enabled=True, **kwargs):
    """A tqdm bar over ``iterable`` (or a manual one with ``total=``) if ``enabled`` and tqdm is installed."""
    if enabled:
        try:
            from tqdm.auto import tqdm
        except ImportError:
            pass
        else:
            return tqdm(iterable, dynamic_ncols=True, leave=False, **kwargs)
    return _Silent(iterable)
