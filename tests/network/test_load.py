"""Loading, round trips and every kind of bad input."""

from __future__ import annotations

import pickle

import networkx as nx
import numpy as np
import pytest

import idrt
from idrt.network import RoadNetwork, load_network, network_from_graph
from tests.conftest import shared_path


def _small_graph(crs="EPSG:4326"):
    """A 2x2 block of two-way streets near Incheon, one one-way spur, one signal."""
    G = nx.MultiDiGraph(crs=crs)
    coords = {1: (126.60, 37.45), 2: (126.601, 37.45), 3: (126.601, 37.451), 4: (126.60, 37.451)}
    for n, (x, y) in coords.items():
        G.add_node(n, x=x, y=y)
    G.nodes[2]["highway"] = "traffic_signals"
    for u, v in [(1, 2), (2, 3), (3, 4), (4, 1)]:
        G.add_edge(u, v, length=100.0, highway="residential")
        G.add_edge(v, u, length=100.0, highway="primary", maxspeed="60")
    G.add_node(5, x=126.599, y=37.45)
    G.add_edge(1, 5, length=80.0, highway="service")  # dead end: not strongly connected
    return G


def test_small_graph_pipeline():
    net = network_from_graph(_small_graph(), name="small")
    assert net.n_nodes == 4 and net.dropped_nodes == 1
    assert net.crs == "EPSG:32652"
    assert net.n_signals == 1 and net.signals["node_ids"][0] == (2,)
    # residential 100 m at the 5030 default of 30 km/h; primary with maxspeed 60
    assert net.travel_time_s(1, 2) == pytest.approx(100 / (30 / 3.6))
    assert net.travel_time_s(2, 1) == pytest.approx(100 / (60 / 3.6))
    assert net.path(1, 3) in ([1, 2, 3], [1, 4, 3])


def test_speed_overrides_and_their_validation():
    net = network_from_graph(_small_graph(), speeds_kmh={"residential": 20})
    assert net.travel_time_s(1, 2) == pytest.approx(100 / (20 / 3.6))
    with pytest.raises(idrt.NetworkError, match="residential"):
        network_from_graph(_small_graph(), speeds_kmh={"residential": -5})


def test_parallel_edges_keep_the_fastest_and_graph_has_travel_times():
    G = _small_graph()
    G.add_edge(1, 2, length=50.0, highway="residential")
    net = network_from_graph(G)
    assert net.travel_time_s(1, 2) == pytest.approx(50 / (30 / 3.6))
    times = [d["travel_time"] for d in net.graph.get_edge_data(1, 2).values()]
    assert min(times) == pytest.approx(net.travel_time_s(1, 2))


def test_unreachable_pair_is_inf_not_a_crash():
    G = _small_graph()
    net = network_from_graph(G)
    # every pair in the kept component is reachable; check the kernel path to inf via a bound
    assert np.isinf(net.travel_times_from_s(1, [3], max_time_s=1.0)[0])
    assert net.travel_time_table([1, 3], max_time_s=1.0)[0, 1] == np.inf


def test_save_load_round_trip(tmp_path):
    net = network_from_graph(_small_graph(), name="small")
    path = net.save(tmp_path / "small.npz")
    back = RoadNetwork.load(path)
    for name in ("node_ids", "x_m", "lat", "indptr", "heads", "edge_travel_time_s", "signal_id"):
        np.testing.assert_array_equal(getattr(back, name), getattr(net, name))
    assert back.name == "small" and back.crs == net.crs and back.dropped_nodes == 1
    assert load_network(path).travel_time_s(1, 3) == net.travel_time_s(1, 3)


def test_pickle_round_trip_drops_the_graph():
    net = network_from_graph(_small_graph(), name="small")
    assert net.graph.number_of_nodes() == 4
    blob = pickle.dumps(net)
    back = pickle.loads(blob)
    assert back._graph is None
    np.testing.assert_array_equal(back.edge_travel_time_s, net.edge_travel_time_s)
    assert back.travel_time_table([1, 2, 3]).tolist() == net.travel_time_table([1, 2, 3]).tolist()
    # the graph is rebuilt from the arrays on demand, with the same travel times
    rebuilt = back.graph
    assert nx.is_strongly_connected(rebuilt)


def test_pickle_is_cheap(yeongjong):
    """Shipping a network to Dask workers costs a fraction of the osmnx graph."""
    assert yeongjong.graph.number_of_nodes() == yeongjong.n_nodes
    compact = len(pickle.dumps(yeongjong))
    assert compact < len(pickle.dumps(yeongjong.graph)) / 2
    assert pickle.loads(pickle.dumps(yeongjong))._graph is None


def test_arrays_are_read_only():
    net = network_from_graph(_small_graph())
    with pytest.raises(ValueError, match="read-only"):
        net.edge_travel_time_s[0] = 0.0


def test_unknown_node_id_names_it():
    net = network_from_graph(_small_graph())
    with pytest.raises(idrt.NetworkError, match="999"):
        net.travel_time_s(1, 999)


# ------------------------------------------------------------------ bad input
def test_missing_file():
    with pytest.raises(idrt.NetworkError, match="does not exist"):
        load_network("no/such/file.graphml")


def test_corrupt_graphml(tmp_path):
    bad = tmp_path / "bad.graphml"
    bad.write_text("<graphml><graph><node id='1'>")
    with pytest.raises(idrt.NetworkError, match="not a readable osmnx GraphML"):
        load_network(bad)


def test_corrupt_npz(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(idrt.NetworkError, match="rebuild"):
        load_network(bad)


def test_graph_without_edges(tmp_path):
    import osmnx as ox

    G = nx.MultiDiGraph(crs="EPSG:4326")
    G.add_node(1, x=126.6, y=37.45)
    G.add_node(2, x=126.61, y=37.45)
    path = tmp_path / "empty.graphml"
    ox.save_graphml(G, path)
    with pytest.raises(idrt.NetworkError, match="needs edges"):
        load_network(path)
    with pytest.raises(idrt.NetworkError, match="needs edges"):
        load_network(nx.MultiDiGraph())


def test_nothing_strongly_connected():
    G = nx.MultiDiGraph(crs="EPSG:4326")
    G.add_node(1, x=126.6, y=37.45)
    G.add_node(2, x=126.61, y=37.45)
    G.add_edge(1, 2, length=10.0)
    with pytest.raises(idrt.NetworkError, match="strongly connected"):
        load_network(G)


def test_unknown_preset_name():
    with pytest.raises(idrt.NetworkError, match="unknown network 'atlantis'"):
        load_network("atlantis")


def test_bad_city_size():
    with pytest.raises(idrt.NetworkError, match="city"):
        load_network("city:ten")


def test_unknown_suffix(tmp_path):
    path = tmp_path / "roads.shp"
    path.write_text("x")
    with pytest.raises(idrt.NetworkError, match="unknown file type"):
        load_network(path)


def test_place_osmnx_cannot_geocode(monkeypatch):
    import osmnx as ox

    def fail(*args, **kwargs):
        raise ox._errors.InsufficientResponseError("Nominatim geocoder returned 0 results")

    monkeypatch.setattr(ox, "graph_from_place", fail)
    with pytest.raises(idrt.NetworkError, match=r"Xyzzy.*0 results"):
        load_network(place="Xyzzy, Nowhere")


def test_bad_bbox_is_rejected_before_any_download():
    with pytest.raises(idrt.NetworkError, match="west < east"):
        load_network(bbox=(126.7, 37.4, 126.5, 37.5))


def test_exactly_one_source():
    with pytest.raises(idrt.NetworkError, match="exactly one"):
        load_network()
    with pytest.raises(idrt.NetworkError, match="exactly one"):
        load_network("yeongjong", place="Incheon")


def test_csv_with_bad_column(tmp_path):
    (tmp_path / "nodes.csv").write_text("node_index,pos_x,pos_y\n0,1.0,2.0\n1,x,2.0\n")
    (tmp_path / "edges.csv").write_text("from_node,to_node,distance,travel_time\n0,1,5,1\n")
    with pytest.raises(idrt.NetworkError, match="pos_x"):
        load_network(tmp_path)


def test_csv_missing_file(tmp_path):
    (tmp_path / "nodes.csv").write_text("node_index,pos_x,pos_y\n0,1.0,2.0\n")
    with pytest.raises(idrt.NetworkError, match=r"no edges\.csv"):
        load_network(tmp_path / "nodes.csv")


def test_osm_xml(tmp_path):
    xml = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6">
  <node id="1" lat="37.450" lon="126.600"/>
  <node id="2" lat="37.450" lon="126.602"/>
  <node id="3" lat="37.450" lon="126.604"/>
  <node id="4" lat="37.452" lon="126.600"/>
  <node id="5" lat="37.452" lon="126.602"/>
  <node id="6" lat="37.452" lon="126.604"/>
  <node id="7" lat="37.451" lon="126.600"><tag k="highway" v="traffic_signals"/></node>
  <node id="8" lat="37.451" lon="126.601"/>
  <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="primary"/></way>
  <way id="11"><nd ref="4"/><nd ref="5"/><nd ref="6"/><tag k="highway" v="residential"/></way>
  <way id="12"><nd ref="1"/><nd ref="7"/><nd ref="4"/><tag k="highway" v="residential"/></way>
  <way id="13"><nd ref="2"/><nd ref="8"/><nd ref="5"/><tag k="highway" v="residential"/></way>
  <way id="14"><nd ref="3"/><nd ref="6"/><tag k="highway" v="residential"/></way>
</osm>"""
    path = tmp_path / "map.osm"
    path.write_text(xml)
    net = load_network(path)
    # osmnx simplifies the degree-2 nodes away, but keeps the signal node 7
    assert set(net.node_ids.tolist()) == {2, 5, 7}
    assert net.n_signals == 1 and net.signals["node_ids"][0] == (7,)
    assert np.isfinite(net.travel_time_table(net.node_ids)).all()


def test_fetched_name_is_found_in_networks_dir(tmp_path, monkeypatch):
    import osmnx as ox

    folder = tmp_path / "nets"
    folder.mkdir()
    ox.save_graphml(_small_graph(), folder / "mytown.graphml")
    monkeypatch.setenv("IDRT_NETWORKS_DIR", str(folder))
    net = load_network("mytown")
    assert net.n_nodes == 4


def test_delft_by_path_is_a_network(real_network):
    shared_path("Delft")
    assert real_network("Delft").n_nodes > 2000
