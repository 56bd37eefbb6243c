"""oncosig.enrich"""
