"""nftables: a pure ruleset renderer and a thin runner that calls nft (issue #4)."""
