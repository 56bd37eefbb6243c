"""oncosig.pp"""
