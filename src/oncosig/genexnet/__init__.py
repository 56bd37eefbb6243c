"""oncosig.genexnet"""
