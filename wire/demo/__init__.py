"""The bundled demo partner network: fictional partner websites on 127.0.0.1.

Partners of Solidarity Wire are small volunteer sites with every kind of feed, broken
feeds and no feed at all. The demo network lets the crawler, the editors' screens and
the newsletter run end to end without reaching the internet, and gives tests a fixed
ground truth (which articles copy, edit or translate one another).

Usage::

    from wire.demo.network import DemoNetwork

    with DemoNetwork() as net:
        for partner in net.partners:
            ...

Content (organisations, articles, page labels) lives in ``content/*.toml``; the servers
in ``network.py``; everything between them is pure rendering.
"""
