"""oncosig.degnext"""
