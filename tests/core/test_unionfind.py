from hybridir.core.unionfind import UnionFind


def test_linked_nodes_share_a_root() -> None:
    groups = UnionFind()
    groups.union("a", "b")
    groups.union("c", "b")
    groups.union("x", "y")
    assert groups.find("a") == groups.find("c")
    assert groups.find("a") != groups.find("x")
    assert groups.find("lonely") == "lonely"
